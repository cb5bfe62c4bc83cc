#!/usr/bin/env python3
"""Draws folded stacks (bench/perf_fold.py's .folded) as a flame graph: an SVG with no script,
root at the bottom, each frame as wide as its share of samples, its name and share on hover.

    bench/flame.py IN.folded OUT.svg "title"
"""
import hashlib
import html
import sys

WIDTH, ROW, MIN_WIDTH = 1200, 16, 1.0  # px; narrower frames are left out


def build(lines):
    root = {"name": "all", "count": 0, "children": {}}
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        n = int(count)
        node = root
        node["count"] += n
        for frame in stack.split(";"):
            node = node["children"].setdefault(frame, {"name": frame, "count": 0, "children": {}})
            node["count"] += n
    return root


def colour(name):
    h = int(hashlib.md5(name.encode()).hexdigest()[:4], 16)
    if "billhook::" in name:
        return f"rgb({200 + h % 56},{90 + h % 80},40)"
    if name.startswith("sqlite3"):
        return f"rgb(60,{120 + h % 80},{180 + h % 60})"
    return f"rgb({180 + h % 60},{160 + h % 60},{90 + h % 40})"


def main():
    root = build(open(sys.argv[1]))
    total = root["count"] or 1
    rects, depth_max = [], 0

    def walk(node, x, depth):
        nonlocal depth_max
        w = node["count"] / total * WIDTH
        if w < MIN_WIDTH:
            return
        depth_max = max(depth_max, depth)
        rects.append((x, depth, w, node["name"], node["count"]))
        cx = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            walk(child, cx, depth + 1)
            cx += child["count"] / total * WIDTH

    walk(root, 0.0, 0)
    height = (depth_max + 1) * ROW + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="monospace" font-size="11">',
           f'<text x="4" y="16" font-size="14">{html.escape(sys.argv[3])} ({total} samples)</text>']
    for x, depth, w, name, count in rects:
        y = height - (depth + 1) * ROW
        label = html.escape(name)
        share = 100 * count / total
        out.append(f'<g><title>{label} ({share:.2f} %, {count} samples)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 1}" fill="{colour(name)}"/>')
        chars = int(w / 7)
        if chars >= 4:
            text = name if len(name) <= chars else name[: chars - 1] + "…"
            out.append(f'<text x="{x + 2:.1f}" y="{y + 12}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
