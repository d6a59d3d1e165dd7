"""An ECharts chart as a widget: the option (sim.app.charts) in, an SVG chart that fills its box out.

Solara's own FigureEcharts draws on a canvas and loads the unminified library; this one draws SVG
(its text is in the page, for screen readers and tests), marks the year it shows (`data-drawn`), and
loads the smaller "common" build (line charts, marks, SVG) from the same local assets (solara-assets,
served at /_solara/cdn).
The template lives here, not in a .vue file, so an installed package needs no data files.
"""

from __future__ import annotations

from collections.abc import Callable

import ipyvuetify
import solara
import traitlets

TEMPLATE = """
<template>
  <div ref="chart" class="cm-chart" :data-year="year" :data-drawn="drawn_year"></div>
</template>
<script>
// ECharts from the solara-assets package (served by this machine at /_solara/cdn), drawn as SVG
// so the text can be read (and tested), resized with its box, without animation.
module.exports = {
  mounted() {
    this.load().then((echarts) => {
      this.chart = echarts.init(this.$refs.chart, null, { renderer: "svg" });
      this.draw();
    });
    this.observer = new ResizeObserver(() => this.chart && this.chart.resize());
    this.observer.observe(this.$refs.chart);
  },
  beforeDestroy() {
    if (this.observer) this.observer.disconnect();
    if (this.chart) this.chart.dispose();
  },
  watch: {
    option() {
      this.draw();
    },
  },
  methods: {
    draw() {
      if (!this.chart) return;
      const started = performance.now();
      this.chart.setOption(this.option, true);
      this.$refs.chart.dataset.drawMs = (performance.now() - started).toFixed(1);  // for benchmarks
      this.drawn_year = this.year;
      this.drawn_frame = this.frame;  // tells the server this frame is on screen
    },
    load() {
      const cdn = this.cdn || (window.solara ? window.solara.cdn : "./_solara/cdn");
      const url = `${cdn}/echarts@5.4.0/dist/echarts.common.min.js`;
      const withRequire = window.requirejs
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const script = document.createElement("script");
            script.src = `${cdn}/requirejs@2.3.6/require.js`;
            script.onload = resolve;
            script.onerror = reject;
            document.head.appendChild(script);
          });
      return withRequire.then(() => new Promise((resolve) => window.requirejs([url], resolve)));
    },
  },
};
</script>
"""


class EchartsWidget(ipyvuetify.VuetifyTemplate):
    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    option = traitlets.Dict({}).tag(sync=True)
    year = traitlets.Int(0).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    drawn_year = traitlets.Int(-1).tag(sync=True)
    drawn_frame = traitlets.Int(-1).tag(sync=True)  # set by the browser once the chart shows `frame`
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)


@solara.component
def Chart(option: dict, year: int, frame: int = 0, on_drawn: Callable[[int], None] | None = None) -> None:
    """`on_drawn(frame)` is called when the browser has drawn the chart for `frame`."""
    EchartsWidget.element(option=option, year=year, frame=frame, on_drawn_frame=on_drawn)
