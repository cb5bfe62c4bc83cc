#include "render/document_pdf.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "render/page_size.hpp"
#include "render/pagination.hpp"
#include "render/pango_text.hpp"
#include "render/pdf_surface.hpp"

namespace billhook::render {
namespace {

// Measures in points. The margins leave room for printers that cannot print to the edge.
constexpr double kMargin = 42;
constexpr double kTop = 44;
constexpr double kBodyBottomGap = 58;  // from the bottom edge to the end of the body, above the footer
constexpr double kFooterGap = 44;      // from the bottom edge to the footer's rule
constexpr double kCellPadding = 6;     // above and below the text of a table row
constexpr double kColumnGap = 8;

constexpr Font kBody{9};
constexpr Font kBodyBold{9, true};
constexpr Font kSmall{7.5};
constexpr Font kSmallBold{7.5, true};
constexpr Font kStrong{10, true};
constexpr Font kSellerName{12, true};
constexpr Font kTitle{20, true};
constexpr Font kNumber{10};
constexpr Font kStamp{11, true};

constexpr Color kInk{0.13, 0.13, 0.15};
constexpr Color kMuted{0.42, 0.43, 0.47};
constexpr Color kRule{0.80, 0.81, 0.84};
constexpr Color kBand{0.93, 0.94, 0.96};

// Caps that keep every row and block shorter than a page, so pagination always finds room.
constexpr int kDescriptionLines = 8;
constexpr size_t kPartyLines = 8;  // a name, an address, an email and a tax id fit in far fewer
constexpr int kPartyLineLines = 2;
constexpr int kCellLines = 2;
constexpr int kNotesLines = 14;

Color stamp_color(StampTone tone) {
  switch (tone) {
    case StampTone::good:
      return {0.10, 0.50, 0.24};
    case StampTone::attention:
      return {0.74, 0.14, 0.14};
    case StampTone::neutral:
      break;
  }
  return {0.45, 0.46, 0.50};
}

struct Column {
  double x;
  double width;
};

// The line table's columns: the description takes what the fixed numeric columns leave.
struct Columns {
  Column description, quantity, unit_price, tax, amount;
};
Columns table_columns(double left, double width) {
  constexpr double kQuantity = 46, kUnitPrice = 86, kTax = 50, kAmount = 90;
  const double description = width - kQuantity - kUnitPrice - kTax - kAmount - 4 * kColumnGap;
  Columns columns{};
  columns.description = {left, description};
  columns.quantity = {columns.description.x + description + kColumnGap, kQuantity};
  columns.unit_price = {columns.quantity.x + kQuantity + kColumnGap, kUnitPrice};
  columns.tax = {columns.unit_price.x + kUnitPrice + kColumnGap, kTax};
  columns.amount = {columns.tax.x + kTax + kColumnGap, kAmount};
  return columns;
}

// A table row set once, measured for pagination and drawn from the same layouts.
struct Row {
  LayoutPtr description, period, quantity, unit_price, tax, amount;
  double height = 0;
};

class Painter {
 public:
  Painter(const DocumentPlan& plan, PagePoints page, cairo_t* cr)
      : plan_(plan),
        page_(page),
        cr_(cr),
        text_(cr),
        width_(page.width - 2 * kMargin),
        columns_(table_columns(kMargin, width_)) {}

  void paint(PdfSurface& pdf) {
    std::vector<Row> rows;
    std::vector<double> heights;
    rows.reserve(plan_.rows.size());
    for (const PlanRow& row : plan_.rows) {
      rows.push_back(set_row(row));
      heights.push_back(rows.back().height);
    }
    const double body_bottom = page_.height - kBodyBottomGap;
    const double table_head = rows.empty() ? 0 : table_header(0, false);
    const double first = body_bottom - first_header(kTop, false) - table_head;
    const double next = body_bottom - next_header(kTop, false) - table_head;
    const std::vector<PageSlice> pages = paginate(heights, first, next, trailer(0, false));

    for (size_t index = 0; index < pages.size(); ++index) {
      const PageSlice& slice = pages[index];
      double y = index == 0 ? first_header(kTop, true) : next_header(kTop, true);
      if (slice.row_count > 0) {
        y = table_header(y, true);
        for (size_t r = slice.first_row; r < slice.first_row + slice.row_count; ++r) y = draw_row(rows[r], y);
      }
      if (slice.trailer) trailer(y, true);
      footer(index + 1, pages.size());
      pdf.show_page();
    }
  }

 private:
  // Each block below draws itself when `paint`, and answers the y where it ends either way, so the
  // same code measures and draws.

  // Page one: the seller and the title block, then the customer beside the dates.
  double first_header(double y, bool paint) {
    const double left_width = width_ * 0.5;
    const double right_x = kMargin + left_width + 16;
    const double right_width = width_ - left_width - 16;

    double left_y = y;
    for (size_t i = 0; i < std::min(plan_.seller.size(), kPartyLines); ++i) {
      left_y = put(plan_.seller[i], i == 0 ? kSellerName : kBody, i == 0 ? kInk : kMuted, kMargin, left_y,
                   left_width, Align::left, kPartyLineLines, paint) + (i == 0 ? 4 : 1);
    }
    double right_y = put(plan_.title, kTitle, kInk, right_x, y, right_width, Align::right, 2, paint) + 2;
    right_y = put(plan_.number, kNumber, kMuted, right_x, right_y, right_width, Align::right, 2, paint) + 8;
    if (!plan_.stamp.empty()) right_y = stamp(right_x + right_width, right_y, right_width, paint);

    y = std::max(left_y, right_y) + 16;
    if (paint) rule(kMargin, kMargin + width_, y, 0.75);
    y += 16;

    double customer_y =
        put(plan_.customer_label, kSmallBold, kMuted, kMargin, y, left_width, Align::left, 1, paint) + 4;
    for (size_t i = 0; i < std::min(plan_.customer.size(), kPartyLines); ++i) {
      customer_y = put(plan_.customer[i], i == 0 ? kStrong : kBody, kInk, kMargin, customer_y, left_width,
                       Align::left, kPartyLineLines, paint) + (i == 0 ? 3 : 1);
    }
    // The labels' column is as wide as the widest label, so the values (numbers, dates) get the rest.
    double label_width = 0;
    for (const auto& fact : plan_.facts) {
      label_width = std::max(label_width, TextSetter::width(text_.layout(fact.first, kBody, 0).get()));
    }
    label_width = std::min(label_width, right_width / 2);
    const double value_width = right_width - label_width - kColumnGap;
    double facts_y = y;
    for (const auto& [label, value] : plan_.facts) {
      const double label_end = put(label, kBody, kMuted, right_x, facts_y, label_width, Align::left, 2, paint);
      const double value_end = put(value, kBodyBold, kInk, right_x + label_width + kColumnGap, facts_y, value_width,
                                   Align::right, 2, paint);
      facts_y = std::max(label_end, value_end) + 3;
    }
    return std::max(customer_y, facts_y) + 20;
  }

  // Later pages: the seller's name and the document, so a loose page is still identified.
  double next_header(double y, bool paint) {
    const double half = width_ / 2;
    const double left_end = put(seller_name(), kStrong, kInk, kMargin, y, half, Align::left, 1, paint);
    const double right_end =
        put(plan_.title + " " + plan_.number, kBody, kMuted, kMargin + half, y, half, Align::right, 1, paint);
    y = std::max(left_end, right_end) + 10;
    if (paint) rule(kMargin, kMargin + width_, y, 0.75);
    return y + 14;
  }

  double table_header(double y, bool paint) {
    const struct {
      std::string label;
      Column column;
      Align align;
    } cells[] = {
        {"Description", columns_.description, Align::left},
        {"Qty", columns_.quantity, Align::right},
        {"Unit price (" + plan_.currency + ")", columns_.unit_price, Align::right},
        {"Tax", columns_.tax, Align::right},
        {"Amount (" + plan_.currency + ")", columns_.amount, Align::right},
    };
    double height = 0;
    std::vector<LayoutPtr> labels;
    for (const auto& cell : cells) {
      labels.push_back(text_.layout(cell.label, kSmallBold, cell.column.width, cell.align, 2));
      height = std::max(height, TextSetter::height(labels.back().get()));
    }
    const double band = height + 10;
    if (paint) {
      fill(kMargin - 4, y, width_ + 8, band, kBand);
      for (size_t i = 0; i < labels.size(); ++i) text_.draw(labels[i].get(), cells[i].column.x, y + 5, kMuted);
    }
    return y + band;
  }

  Row set_row(const PlanRow& plan) const {
    Row row;
    row.description = text_.layout(plan.description, kBody, columns_.description.width, Align::left, kDescriptionLines);
    double description = TextSetter::height(row.description.get());
    if (!plan.period.empty()) {
      row.period = text_.layout(plan.period, kSmall, columns_.description.width, Align::left, 1);
      description += 2 + TextSetter::height(row.period.get());
    }
    row.quantity = text_.layout(plan.quantity, kBody, columns_.quantity.width, Align::right, kCellLines);
    row.unit_price = text_.layout(plan.unit_price, kBody, columns_.unit_price.width, Align::right, kCellLines);
    row.tax = text_.layout(plan.tax_rate, kBody, columns_.tax.width, Align::right, kCellLines);
    row.amount = text_.layout(plan.amount, kBody, columns_.amount.width, Align::right, kCellLines);
    double height = description;
    for (PangoLayout* cell : {row.quantity.get(), row.unit_price.get(), row.tax.get(), row.amount.get()}) {
      height = std::max(height, TextSetter::height(cell));
    }
    row.height = height + 2 * kCellPadding;
    return row;
  }

  double draw_row(const Row& row, double y) {
    const double top = y + kCellPadding;
    text_.draw(row.description.get(), columns_.description.x, top, kInk);
    if (row.period) {
      text_.draw(row.period.get(), columns_.description.x, top + TextSetter::height(row.description.get()) + 2, kMuted);
    }
    text_.draw(row.quantity.get(), columns_.quantity.x, top, kInk);
    text_.draw(row.unit_price.get(), columns_.unit_price.x, top, kInk);
    text_.draw(row.tax.get(), columns_.tax.x, top, kInk);
    text_.draw(row.amount.get(), columns_.amount.x, top, kInk);
    rule(kMargin, kMargin + width_, y + row.height, 0.5);
    return y + row.height;
  }

  // After the last row: the tax per rate on the left, the totals on the right, the notes below.
  double trailer(double y, bool paint) {
    y += 16;
    const double half = width_ / 2;

    double taxes_y = y;
    if (!plan_.tax_rows.empty()) {
      constexpr double kRate = 56;
      const double money = (half - kRate - 2 * kColumnGap) / 2;
      const double taxable_x = kMargin + kRate + kColumnGap;
      const double tax_x = taxable_x + money + kColumnGap;
      taxes_y = std::max({put("Tax rate", kSmallBold, kMuted, kMargin, y, kRate, Align::left, 1, paint),
                          put("Taxable amount", kSmallBold, kMuted, taxable_x, y, money, Align::right, 1, paint),
                          put("Tax", kSmallBold, kMuted, tax_x, y, money, Align::right, 1, paint)}) + 3;
      if (paint) rule(kMargin, kMargin + half, taxes_y, 0.5);
      taxes_y += 4;
      for (const PlanTaxRow& row : plan_.tax_rows) {
        taxes_y = std::max({put(row.rate, kBody, kInk, kMargin, taxes_y, kRate, Align::left, 1, paint),
                            put(row.taxable, kBody, kInk, taxable_x, taxes_y, money, Align::right, kCellLines, paint),
                            put(row.tax, kBody, kInk, tax_x, taxes_y, money, Align::right, kCellLines, paint)}) + 3;
      }
    }

    const double totals_x = kMargin + half + 16;
    const double totals_width = width_ - half - 16;
    const double label_width = totals_width * 0.52;
    double totals_y = y;
    for (const PlanTotal& total : plan_.totals) {
      const Font font = total.strong ? kStrong : kBody;
      if (total.strong) {
        totals_y += 2;
        if (paint) rule(totals_x, totals_x + totals_width, totals_y, 0.75);
        totals_y += 5;
      }
      totals_y = std::max(put(total.label, font, total.strong ? kInk : kMuted, totals_x, totals_y, label_width,
                              Align::left, kCellLines, paint),
                          put(total.value, font, kInk, totals_x + label_width, totals_y, totals_width - label_width,
                              Align::right, kCellLines, paint)) + 4;
    }

    y = std::max(taxes_y, totals_y);
    if (!plan_.notes.empty()) {
      y = put(plan_.notes_label, kSmallBold, kMuted, kMargin, y + 14, width_, Align::left, 1, paint) + 3;
      y = put(plan_.notes, kBody, kInk, kMargin, y, width_, Align::left, kNotesLines, paint);
    }
    return y;
  }

  void footer(size_t page, size_t pages) {
    const double y = page_.height - kFooterGap;
    rule(kMargin, kMargin + width_, y, 0.5);
    const double left_width = width_ * 0.7;
    put(plan_.title + " " + plan_.number + " \u00b7 " + seller_name(), kSmall, kMuted, kMargin, y + 5,
        left_width, Align::left, 1, true);
    put(fmt::format("Page {} of {}", page, pages), kSmall, kMuted, kMargin + left_width, y + 5, width_ - left_width,
        Align::right, 1, true);
  }

  // The stamp, right-aligned at `right`: the status in a coloured box.
  double stamp(double right, double y, double max_width, bool paint) {
    const LayoutPtr layout = text_.layout(plan_.stamp, kStamp, max_width - 20, Align::left, 1);
    const double box_width = TextSetter::width(layout.get()) + 20;
    const double box_height = TextSetter::height(layout.get()) + 8;
    if (paint) {
      const Color color = stamp_color(plan_.stamp_tone);
      cairo_set_source_rgb(cr_, color.red, color.green, color.blue);
      cairo_set_line_width(cr_, 1.5);
      cairo_rectangle(cr_, right - box_width, y, box_width, box_height);
      cairo_stroke(cr_);
      text_.draw(layout.get(), right - box_width + 10, y + 4, color);
    }
    return y + box_height;
  }

  std::string seller_name() const { return plan_.seller.empty() ? std::string() : plan_.seller.front(); }

  // Sets `text` at (x, y) and answers where it ends.
  double put(const std::string& text, Font font, Color color, double x, double y, double width, Align align,
             int max_lines, bool paint) const {
    const LayoutPtr layout = text_.layout(text, font, width, align, max_lines);
    if (paint) text_.draw(layout.get(), x, y, color);
    return y + TextSetter::height(layout.get());
  }

  void rule(double from, double to, double y, double line_width) {
    cairo_set_source_rgb(cr_, kRule.red, kRule.green, kRule.blue);
    cairo_set_line_width(cr_, line_width);
    cairo_move_to(cr_, from, y);
    cairo_line_to(cr_, to, y);
    cairo_stroke(cr_);
  }

  void fill(double x, double y, double width, double height, Color color) {
    cairo_set_source_rgb(cr_, color.red, color.green, color.blue);
    cairo_rectangle(cr_, x, y, width, height);
    cairo_fill(cr_);
  }

  const DocumentPlan& plan_;
  PagePoints page_;
  cairo_t* cr_;
  TextSetter text_;
  double width_;
  Columns columns_;
};

}  // namespace

core::Status write_document_pdf(const DocumentPlan& plan, const PdfSink& sink) {
  auto pdf = PdfSurface::open(page_points(plan.page_size), sink, printable_utf8(plan.title + " " + plan.number));
  if (!pdf) return std::move(pdf).error();
  {
    // The painter's pango context refers to the cairo context: it goes before the surface is finished.
    Painter painter(plan, page_points(plan.page_size), pdf->cr());
    painter.paint(*pdf);
  }
  return pdf->finish();
}

}  // namespace billhook::render
