// SVG documents: escaping of hostile text, tick choice, plot coordinate mapping.
#include "pottsrbm/core/svg.hpp"

#include <catch2/catch.hpp>

using namespace pottsrbm;

TEST_CASE("svg escapes text, tooltips and attributes") {
    CHECK(svg::escape(R"(<script>alert("x&'y")</script>)") ==
          "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;");
    svg::Document document(100, 50);
    document.text(1, 2, "<b>id</b>");
    document.rect(0, 0, 10, 10, "red", "none", 1, "a<tip>");
    document.circle(5, 5, 2, "blue", 0.5, "\"quoted\"");
    const std::string out = document.str();
    CHECK(out.find("<b>") == std::string::npos);
    CHECK(out.find("&lt;b&gt;id&lt;/b&gt;") != std::string::npos);
    CHECK(out.find("<title>a&lt;tip&gt;</title></rect>") != std::string::npos);
    CHECK(out.find("<title>&quot;quoted&quot;</title></circle>") != std::string::npos);
    CHECK(out.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"50\"", 0) == 0);
    CHECK(out.find("</svg>") != std::string::npos);
}

TEST_CASE("nice ticks are round and inside the range") {
    CHECK(svg::nice_ticks(0, 1, 5) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
    const auto ticks = svg::nice_ticks(-3.7, 12.2, 5);
    REQUIRE(ticks.size() >= 3);
    CHECK(ticks.front() == Approx(-2));
    CHECK(ticks.back() == Approx(12));
    CHECK(ticks[1] - ticks[0] == Approx(2));
    for (const double t : ticks) CHECK((t >= -3.7 && t <= 12.2));
    CHECK(svg::nice_ticks(2, 2).size() == 1);
    CHECK(svg::tick_label(0.30000000000000004) == "0.3");
    CHECK(svg::tick_label(1e-5) == "1e-05");
    CHECK(svg::tick_label(1200) == "1200");
}

TEST_CASE("plot maps data corners to the plot rectangle") {
    svg::Document document(200, 100);
    svg::Plot plot(document, 20, 10, 160, 80, {0, 4, "x"}, {-1, 1, "y"});
    CHECK(plot.px(0) == Approx(20));
    CHECK(plot.px(4) == Approx(180));
    CHECK(plot.py(-1) == Approx(90));
    CHECK(plot.py(1) == Approx(10));
    svg::Plot flat(document, 0, 0, 10, 10, {3, 3, ""}, {0, 0, ""});
    CHECK(std::isfinite(flat.px(3)));
    CHECK(flat.py(0) == Approx(5));
}
