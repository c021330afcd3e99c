// Minimal SVG writing for the reports (motif logos, contact maps, PCA scatter plots, paths):
// a Document that collects elements and escapes every piece of text, and a Plot that maps data
// coordinates to a rectangle of the document and draws axes with readable ticks.
// Coordinates are in SVG user units (pixels), y pointing down.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pottsrbm::svg {

/// XML/HTML escaping of & < > " ' (safe inside text and attribute values).
[[nodiscard]] std::string escape(std::string_view text);

/// Shortest readable label of a tick value (0.25, 1e-05, 1200, -3).
[[nodiscard]] std::string tick_label(double value);

/// About `target` round tick values (1, 2 or 5 times a power of ten apart) within [min, max].
[[nodiscard]] std::vector<double> nice_ticks(double min, double max, int target = 5);

/// An SVG document; every text and tooltip argument is escaped here.
class Document {
public:
    Document(double width, double height);

    void rect(double x, double y, double width, double height, std::string_view fill, std::string_view stroke = "none",
              double stroke_width = 1, std::string_view tooltip = "");
    void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
              std::string_view dash = "");
    void circle(double cx, double cy, double r, std::string_view fill, double opacity = 1, std::string_view tooltip = "");
    void text(double x, double y, std::string_view content, double size = 12, std::string_view anchor = "start",
              std::string_view fill = "#000", double rotate_deg = 0, bool bold = false);
    void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width = 1.5,
                  std::string_view dash = "");
    /// A path with data `d` (not escaped: built by the caller from numbers and commands).
    void path(std::string_view d, std::string_view fill, std::string_view stroke = "none", double stroke_width = 1);
    /// Appends trusted markup as is (for example a transformed group).
    void raw(std::string markup);

    [[nodiscard]] double width() const { return width_; }
    [[nodiscard]] double height() const { return height_; }
    /// A standalone <svg> element (with xmlns), usable inline in HTML or as an .svg file.
    [[nodiscard]] std::string str() const;

private:
    double width_;
    double height_;
    std::string body_;
};

struct Axis {
    double min = 0;
    double max = 1;
    std::string label;
};

/// A data rectangle inside a Document: maps (x, y) data values to document coordinates.
class Plot {
public:
    /// The plot area is [left, left+width] x [top, top+height] in document units; the axes'
    /// ranges are widened when empty (min == max) so the mapping is always defined.
    Plot(Document& document, double left, double top, double width, double height, Axis x, Axis y);

    [[nodiscard]] double px(double x) const;
    [[nodiscard]] double py(double y) const;
    /// Frame, ticks with labels on the left and bottom edges, light grid, axis labels.
    void draw_frame();
    /// A title centered above the plot area.
    void title(std::string_view text);

    [[nodiscard]] const Axis& x_axis() const { return x_; }
    [[nodiscard]] const Axis& y_axis() const { return y_; }
    [[nodiscard]] Document& document() { return document_; }

private:
    Document& document_;
    double left_;
    double top_;
    double width_;
    double height_;
    Axis x_;
    Axis y_;
};

}  // namespace pottsrbm::svg
