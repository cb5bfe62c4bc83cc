#include "render/page_size.hpp"

#include <gtest/gtest.h>

namespace billhook::render {
namespace {

TEST(RenderPageSize, TheLetterRegionsPrintOnLetter) {
  for (const char* locale : {"en-US", "en-CA", "fr-CA", "es-MX", "es-CL", "es-CO", "es-VE", "en-PH", "es-PR",
                             "es-GT", "es-CR", "es-PA", "es-NI", "es-SV", "en-BZ"}) {
    EXPECT_EQ(page_size_for_locale(locale), PageSize::letter) << locale;
  }
}

TEST(RenderPageSize, EveryOtherRegionPrintsOnA4) {
  for (const char* locale : {"fr-FR", "en-GB", "de-DE", "en-AU", "ja-JP", "ar-SA", "pt-BR", "es-ES", "es-AR"}) {
    EXPECT_EQ(page_size_for_locale(locale), PageSize::a4) << locale;
  }
}

TEST(RenderPageSize, TheRegionIsFoundWhateverTheSpelling) {
  EXPECT_EQ(page_size_for_locale("en_US"), PageSize::letter);
  EXPECT_EQ(page_size_for_locale("EN-us"), PageSize::letter);
  EXPECT_EQ(page_size_for_locale("en-Latn-US"), PageSize::letter);  // after a script
  EXPECT_EQ(page_size_for_locale("en-US-posix"), PageSize::letter);  // before a variant
  EXPECT_EQ(page_size_for_locale("zh-Hant-TW"), PageSize::a4);
}

TEST(RenderPageSize, WithoutARegionItIsA4) {
  EXPECT_EQ(page_size_for_locale(""), PageSize::a4);
  EXPECT_EQ(page_size_for_locale("en"), PageSize::a4);
  EXPECT_EQ(page_size_for_locale("es-419"), PageSize::a4);  // Latin America as a whole
  EXPECT_EQ(page_size_for_locale("us"), PageSize::a4);      // a language subtag, not a region
  EXPECT_EQ(page_size_for_locale("-"), PageSize::a4);
}

TEST(RenderPageSize, PagesAreMeasuredInWholePoints) {
  EXPECT_EQ(page_points(PageSize::a4).width, 595);
  EXPECT_EQ(page_points(PageSize::a4).height, 842);
  EXPECT_EQ(page_points(PageSize::letter).width, 612);
  EXPECT_EQ(page_points(PageSize::letter).height, 792);
}

}  // namespace
}  // namespace billhook::render
