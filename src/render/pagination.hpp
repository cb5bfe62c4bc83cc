#pragma once

// Which table rows go on which page: decided from measured heights before anything is drawn, so
// every footer can say "Page N of M".

#include <cstddef>
#include <span>
#include <vector>

namespace billhook::render {

struct PageSlice {
  size_t first_row = 0;
  size_t row_count = 0;
  bool trailer = false;  // the totals block ends this page (the last one)
  bool operator==(const PageSlice&) const = default;
};

// Lays rows of `row_heights` down page after page: `first_capacity` is the height the table's rows
// have on the first page, `next_capacity` on each later one. The trailer (tax summary, totals, notes)
// of `trailer_height` follows the last row on the same page when it fits there, else on a page of
// its own. A row is never split; a row taller than a whole page still gets a page to itself rather
// than none (the renderer caps a row's lines so that this does not happen). There is always at least
// one page, and exactly one slice has `trailer`: the last.
std::vector<PageSlice> paginate(std::span<const double> row_heights, double first_capacity, double next_capacity,
                                double trailer_height);

}  // namespace billhook::render
