// SVG documents and plot frames for the reports (see svg.hpp).
#include "pottsrbm/core/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pottsrbm::svg {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string tick_label(double value) {
    if (value == 0 || !std::isfinite(value)) return value == 0 ? "0" : fmt::format("{}", value);
    const double magnitude = std::fabs(value);
    if (magnitude >= 1e-3 && magnitude < 1e6) {
        // Round away binary noise (0.30000000000000004) before printing the shortest form.
        return fmt::format("{}", std::stod(fmt::format("{:.6g}", value)));
    }
    return fmt::format("{:.3g}", value);
}

std::vector<double> nice_ticks(double min, double max, int target) {
    std::vector<double> ticks;
    if (!(max > min) || !std::isfinite(min) || !std::isfinite(max)) {
        if (std::isfinite(min)) ticks.push_back(min);
        return ticks;
    }
    const double raw_step = (max - min) / std::max(1, target);
    const double power = std::pow(10.0, std::floor(std::log10(raw_step)));
    const double fraction = raw_step / power;
    const double step = power * (fraction < 1.5 ? 1.0 : fraction < 3.5 ? 2.0 : fraction < 7.5 ? 5.0 : 10.0);
    const double first = std::ceil(min / step - 1e-9) * step;
    for (double tick = first; tick <= max + step * 1e-9; tick += step) {
        ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);
    }
    return ticks;
}

Document::Document(double width, double height) : width_(width), height_(height) {}

namespace {
std::string tooltip_element(std::string_view tooltip) {
    return tooltip.empty() ? std::string() : fmt::format("<title>{}</title>", escape(tooltip));
}
std::string dash_attribute(std::string_view dash) {
    return dash.empty() ? std::string() : fmt::format(" stroke-dasharray=\"{}\"", escape(dash));
}
}  // namespace

void Document::rect(double x, double y, double width, double height, std::string_view fill, std::string_view stroke,
                    double stroke_width, std::string_view tooltip) {
    const std::string title = tooltip_element(tooltip);
    body_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\" stroke=\"{}\" "
                         "stroke-width=\"{:g}\"{}",
                         x, y, std::max(0.0, width), std::max(0.0, height), escape(fill), escape(stroke), stroke_width,
                         title.empty() ? "/>\n" : ">");
    if (!title.empty()) body_ += title + "</rect>\n";
}

void Document::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
                    std::string_view dash) {
    body_ += fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" stroke-width=\"{:g}\"{}/>\n",
                         x1, y1, x2, y2, escape(stroke), width, dash_attribute(dash));
}

void Document::circle(double cx, double cy, double r, std::string_view fill, double opacity, std::string_view tooltip) {
    const std::string title = tooltip_element(tooltip);
    body_ += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{:g}\" fill=\"{}\" fill-opacity=\"{:g}\"{}", cx, cy, r,
                         escape(fill), opacity, title.empty() ? "/>\n" : ">");
    if (!title.empty()) body_ += title + "</circle>\n";
}

void Document::text(double x, double y, std::string_view content, double size, std::string_view anchor,
                    std::string_view fill, double rotate_deg, bool bold) {
    const std::string rotation =
        rotate_deg == 0 ? std::string() : fmt::format(" transform=\"rotate({:g} {:.2f} {:.2f})\"", rotate_deg, x, y);
    body_ += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"{:g}\" text-anchor=\"{}\" fill=\"{}\"{}{}>{}</text>\n",
                         x, y, size, escape(anchor), escape(fill), bold ? " font-weight=\"bold\"" : "", rotation,
                         escape(content));
}

void Document::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width,
                        std::string_view dash) {
    std::string coordinates;
    coordinates.reserve(points.size() * 16);
    for (const auto& [x, y] : points) coordinates += fmt::format("{:.2f},{:.2f} ", x, y);
    body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{:g}\"{}/>\n", coordinates,
                         escape(stroke), width, dash_attribute(dash));
}

void Document::path(std::string_view d, std::string_view fill, std::string_view stroke, double stroke_width) {
    body_ += fmt::format("<path d=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{:g}\"/>\n", d, escape(fill),
                         escape(stroke), stroke_width);
}

void Document::raw(std::string markup) { body_ += std::move(markup); }

std::string Document::str() const {
    return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:g}\" height=\"{1:g}\" viewBox=\"0 0 {0:g} "
                       "{1:g}\" font-family=\"Helvetica, Arial, sans-serif\">\n{2}</svg>\n",
                       width_, height_, body_);
}

namespace {
Axis widened(Axis axis) {
    if (!std::isfinite(axis.min) || !std::isfinite(axis.max)) {
        axis.min = 0;
        axis.max = 1;
    }
    if (axis.max < axis.min) std::swap(axis.min, axis.max);
    if (axis.max == axis.min) {
        const double pad = axis.min == 0 ? 1.0 : std::fabs(axis.min) * 0.1;
        axis.min -= pad;
        axis.max += pad;
    }
    return axis;
}
}  // namespace

Plot::Plot(Document& document, double left, double top, double width, double height, Axis x, Axis y)
    : document_(document), left_(left), top_(top), width_(width), height_(height), x_(widened(std::move(x))),
      y_(widened(std::move(y))) {}

double Plot::px(double x) const { return left_ + (x - x_.min) / (x_.max - x_.min) * width_; }
double Plot::py(double y) const { return top_ + height_ - (y - y_.min) / (y_.max - y_.min) * height_; }

void Plot::draw_frame() {
    for (const double tick : nice_ticks(x_.min, x_.max)) {
        const double x = px(tick);
        document_.line(x, top_, x, top_ + height_, "#e4e4e4");
        document_.line(x, top_ + height_, x, top_ + height_ + 4, "#333");
        document_.text(x, top_ + height_ + 16, tick_label(tick), 10, "middle", "#333");
    }
    for (const double tick : nice_ticks(y_.min, y_.max)) {
        const double y = py(tick);
        document_.line(left_, y, left_ + width_, y, "#e4e4e4");
        document_.line(left_ - 4, y, left_, y, "#333");
        document_.text(left_ - 6, y + 3.5, tick_label(tick), 10, "end", "#333");
    }
    document_.rect(left_, top_, width_, height_, "none", "#333");
    if (!x_.label.empty()) document_.text(left_ + width_ / 2, top_ + height_ + 34, x_.label, 12, "middle");
    if (!y_.label.empty()) document_.text(left_ - 42, top_ + height_ / 2, y_.label, 12, "middle", "#000", -90);
}

void Plot::title(std::string_view text) { document_.text(left_ + width_ / 2, top_ - 8, text, 13, "middle", "#000", 0, true); }

}  // namespace pottsrbm::svg
