"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG (text drawn as paths, so the
report looks the same on any machine and needs no fonts or network)."""

from __future__ import annotations

import io
import itertools
import re

INK, MUTED, GRID = "#1F2A36", "#5B6773", "#E3E7EB"
_ids = itertools.count(1)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": 10, "axes.edgecolor": GRID, "axes.labelcolor": MUTED,
        "xtick.color": MUTED, "ytick.color": INK, "axes.spines.top": False, "axes.spines.right": False,
        "svg.fonttype": "path", "svg.hashsalt": "lccode",
    })
    return plt


def to_svg(fig, label: str) -> str:
    """The figure as an <svg> element, with ids made unique so several charts can share one page."""
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", transparent=True)
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    prefix = f"c{next(_ids)}-"
    svg = re.sub(r'(\bid="|url\(#|href="#)', lambda m: m.group(1) + prefix, svg)
    return svg.replace("<svg", f'<svg class="chart" role="img" aria-label="{_esc(label)}"', 1)


def share_text(x: float) -> str:
    """A share as a percentage that never reads 0% for something that is there."""
    if 0 < x < 0.001:
        return "<0.1%"
    return f"{100 * x:.1f}%" if x < 0.1 else f"{100 * x:.0f}%"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _wrap(s: str, width: int = 34) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(s, width)) or s


def _empty(text: str, label: str) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, transform=ax.transAxes)
    ax.set_axis_off()
    return to_svg(fig, label)


def heatmap(summary, cb, lang: str, title: str, empty: str = "-") -> str:
    """Codes (rows, grouped by category) x communities (columns): colour = share of segments, number = count."""
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.transforms import ScaledTranslation

    plt = _plt()
    communities = summary.groups("community")
    if not communities:
        return _empty(empty, title)
    codes = cb.code_ids
    share = np.array([[summary.count("community", g, c).share_segments for g in communities] for c in codes])
    count = np.array([[summary.count("community", g, c).segments for g in communities] for c in codes])
    cmap = LinearSegmentedColormap.from_list("lc", ["#F7FAFC", "#BFE3DA", "#3AA58A", "#14574A"])
    fig, ax = plt.subplots(figsize=(3.6 + 0.66 * max(len(communities), 3), 0.3 * len(codes) + 1.6))
    vmax = max(float(share.max()), 0.01)
    im = ax.imshow(share, cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
    for (i, j), n in np.ndenumerate(count):
        if n:
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8.5,
                    color="white" if share[i, j] > 0.55 * vmax else INK)
    ax.set_xticks(range(len(communities)), communities, fontsize=9)
    ax.xaxis.tick_top()
    plt.setp(ax.get_xticklabels(), rotation=35, ha="left", rotation_mode="anchor")
    ax.set_yticks(range(len(codes)), [cb.code(c).label(lang) for c in codes], fontsize=9)
    ax.tick_params(length=0)
    ax.tick_params(axis="y", pad=12)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(communities)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(codes)), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    # Category bands along the left edge in the category's colour: 6 points left of the cells, whatever the size.
    band = ax.get_yaxis_transform() + ScaledTranslation(-6 / 72, 0, fig.dpi_scale_trans)
    start = 0
    for cat in cb.categories:
        n = len(cat.code_ids)
        ax.plot([0, 0], [start - 0.42, start + n - 0.58], transform=band, color=cat.color or MUTED, linewidth=5,
                solid_capstyle="butt", clip_on=False)
        if start:
            ax.axhline(start - 0.5, color="white", linewidth=4)
        start += n
    digits = 0 if vmax >= 0.1 else 1 if vmax >= 0.01 else 2  # enough decimals that no two ticks read the same
    cbar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, shrink=0.5, anchor=(0, 1),
                        format=lambda x, _: f"{100 * x:.{digits}f}%")
    cbar.outline.set_visible(False)
    cbar.ax.tick_params(labelsize=8, colors=MUTED)
    return to_svg(fig, title)


def category_bars(summary, cb, category, lang: str, labels: dict) -> str:
    """One bar per code of a category: segments with the code (reviewed part solid), share and transcripts."""
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    from lccode.codebook import code_colors

    colors = code_colors(cb)
    rows = [summary.count("corpus", "all", c) for c in category.code_ids][::-1]
    fig, ax = plt.subplots(figsize=(5.4, 0.42 * len(rows) + 0.8))
    y = range(len(rows))
    totals = [r.segments for r in rows]
    ax.barh(y, totals, color=[colors[r.code] for r in rows], alpha=0.5, height=0.68)
    ax.barh(y, [r.reviewed for r in rows], color=[colors[r.code] for r in rows], height=0.68)
    top = max(totals + [1])
    for i, r in enumerate(rows):
        note = (f"{share_text(r.share_segments)}  ·  {r.transcripts}/{r.group_transcripts} {labels['tr']}"
                if r.segments else "–")
        ax.text(r.segments + top * 0.015, i, note, va="center", fontsize=9, color=MUTED)
    ax.set_yticks(list(y), [_wrap(cb.code(r.code).label(lang), 26) for r in rows], fontsize=10)
    ax.set_xlim(0, top * 1.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel(labels["x"], fontsize=9)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return to_svg(fig, category.label(lang))


def community_bars(summary, cb, community: str, lang: str, labels: dict, top: int = 8) -> str:
    """The community's most frequent codes (share of its segments), with the whole corpus as a marker."""
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    from lccode.codebook import code_colors

    colors = code_colors(cb)
    rows = sorted((summary.count("community", community, c) for c in cb.code_ids), key=lambda r: -r.share_segments)
    rows = [r for r in rows if r.segments][:top][::-1]
    if not rows:
        return _empty(labels["none"], community)
    fig, ax = plt.subplots(figsize=(5.6, 0.36 * len(rows) + 0.9))
    y = list(range(len(rows)))
    ax.barh(y, [100 * r.share_segments for r in rows], color=[colors[r.code] for r in rows], height=0.62)
    corpus = [100 * summary.count("corpus", "all", r.code).share_segments for r in rows]
    ax.scatter(corpus, y, marker="|", s=260, color=INK, linewidths=2, zorder=3, label=labels["corpus"])
    xmax = max([100 * r.share_segments for r in rows] + corpus) * 1.15
    for i, r in enumerate(rows):
        ax.text(max(100 * r.share_segments, corpus[i]) + xmax * 0.02, i, f"{r.segments}", va="center", fontsize=8.5,
                color=MUTED)
    ax.set_yticks(y, [_wrap(cb.code(r.code).label(lang), 32) for r in rows], fontsize=9)
    ax.set_xlabel(labels["x"], fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.{0 if xmax >= 8 else 1 if xmax >= 0.8 else 2}f}%")
    ax.set_xlim(0, xmax)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8.5)
    return to_svg(fig, community)
