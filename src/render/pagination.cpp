#include "render/pagination.hpp"

namespace billhook::render {

std::vector<PageSlice> paginate(std::span<const double> row_heights, double first_capacity, double next_capacity,
                                double trailer_height) {
  std::vector<PageSlice> pages;
  PageSlice page;
  double left = first_capacity;
  for (size_t row = 0; row < row_heights.size(); ++row) {
    if (page.row_count > 0 && row_heights[row] > left) {
      pages.push_back(page);
      page = PageSlice{.first_row = row};
      left = next_capacity;
    }
    ++page.row_count;
    left -= row_heights[row];
  }
  if (page.row_count > 0 && trailer_height > left) {
    pages.push_back(page);
    page = PageSlice{.first_row = row_heights.size()};
  }
  page.trailer = true;
  pages.push_back(page);
  return pages;
}

}  // namespace billhook::render
