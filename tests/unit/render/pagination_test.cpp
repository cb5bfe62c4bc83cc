#include "render/pagination.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <vector>

namespace billhook::render {

// Found by GoogleTest through the argument's namespace.
void PrintTo(const PageSlice& s, std::ostream* out) {
  *out << "{" << s.first_row << ", " << s.row_count << (s.trailer ? ", trailer}" : "}");
}

namespace {

using Slices = std::vector<PageSlice>;

TEST(RenderPagination, RowsAndTrailerThatFitTakeOnePage) {
  const std::vector<double> rows(5, 20);
  EXPECT_EQ(paginate(rows, 200, 300, 100), (Slices{{0, 5, true}}));
}

TEST(RenderPagination, RowsFlowOntoLaterPagesWithTheirOwnCapacity) {
  const std::vector<double> rows(10, 20);
  // Page one holds 3 rows (60 of 70), later pages 5 (100 of 100); the trailer fits after the last two.
  EXPECT_EQ(paginate(rows, 70, 100, 50), (Slices{{0, 3, false}, {3, 5, false}, {8, 2, true}}));
}

TEST(RenderPagination, ATrailerThatDoesNotFitAfterTheLastRowGetsAPageOfItsOwn) {
  const std::vector<double> rows(5, 20);
  EXPECT_EQ(paginate(rows, 100, 100, 1), (Slices{{0, 5, false}, {5, 0, true}}));
  EXPECT_EQ(paginate(rows, 110, 100, 10), (Slices{{0, 5, true}}));  // exactly full
}

TEST(RenderPagination, NoRowsStillMakeOnePage) {
  EXPECT_EQ(paginate({}, 100, 100, 50), (Slices{{0, 0, true}}));
  EXPECT_EQ(paginate({}, 100, 100, 500), (Slices{{0, 0, true}}));
}

TEST(RenderPagination, ARowTallerThanAPageStillGetsOne) {
  const std::vector<double> rows{20, 500, 20};
  EXPECT_EQ(paginate(rows, 100, 100, 10), (Slices{{0, 1, false}, {1, 1, false}, {2, 1, true}}));
}

TEST(RenderPagination, EveryRowIsPlacedOnceInOrder) {
  std::vector<double> rows;
  for (int i = 0; i < 120; ++i) rows.push_back(14 + (i * 7) % 30);
  const Slices pages = paginate(rows, 400, 600, 150);
  size_t next = 0;
  for (const PageSlice& page : pages) {
    EXPECT_EQ(page.first_row, next);
    next += page.row_count;
    EXPECT_EQ(page.trailer, &page == &pages.back());
  }
  EXPECT_EQ(next, rows.size());
}

}  // namespace
}  // namespace billhook::render
