// Report and dashboard charts (templates/reports/_chart.html), drawn with the vendored Apache ECharts.
//
// Each `[data-chart]` element names the `json_script` holding its data (reports.selectors.chart_payload:
// the chart kind, the columns with their type, the rows, and `plot`, the columns drawn). The SVG renderer
// and the rich-text tooltip keep to the content security policy (no inline script, no style attribute in
// markup); the table beside each chart carries the same figures for screen readers and keyboards.
(() => {
  "use strict";

  if (typeof window.echarts === "undefined") {
    return;
  }

  const charts = new Map();
  const language = (document.documentElement.lang || "en").toLowerCase();
  const locale = language.startsWith("zh") ? "ZH" : "EN";
  // At most this many lines are on at first; the legend turns the others on.
  const SHOWN_AT_FIRST = 2;
  const CROWDED = 4;

  const formats = {
    count: new Intl.NumberFormat(language, { maximumFractionDigits: 2 }),
    number: new Intl.NumberFormat(language, { maximumFractionDigits: 2 }),
    rating: new Intl.NumberFormat(language, { minimumFractionDigits: 1, maximumFractionDigits: 2 }),
    percent: new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 1 }),
    seconds: new Intl.NumberFormat(language, {
      style: "unit",
      unit: "hour",
      unitDisplay: "short",
      maximumFractionDigits: 1,
    }),
  };

  // A figure as the table reads it: percents out of 100, durations (seconds) in hours.
  function formatValue(value, type) {
    if (value === null || value === undefined || Number.isNaN(value)) {
      return "–";
    }
    if (type === "percent") {
      return formats.percent.format(value / 100);
    }
    if (type === "seconds") {
      return formats.seconds.format(value / 3600);
    }
    return (formats[type] || formats.count).format(value);
  }

  // The number drawn: durations in hours, so that the axis reads in hours too.
  function plotted(value, type) {
    if (value === null || value === undefined) {
      return null;
    }
    return type === "seconds" ? value / 3600 : value;
  }

  function axisLabel(type) {
    return {
      formatter: (value) => formatValue(type === "seconds" ? value * 3600 : value, type),
      hideOverlap: true,
    };
  }

  function optionFor(data, title) {
    const columns = data.columns.filter((column) => (data.plot || []).includes(column.key));
    const type = columns.length ? columns[0].type : "count";
    const labels = data.rows.map((row) => row.label);
    const tooltip = {
      renderMode: "richText",
      trigger: data.chart === "pie" ? "item" : "axis",
      valueFormatter: (value) => formatValue(type === "seconds" ? value * 3600 : value, type),
    };
    const base = {
      aria: { enabled: true },
      title: { text: title, show: false },
      animation: false,
      tooltip,
    };
    if (data.chart === "pie") {
      const column = columns[0];
      return {
        ...base,
        legend: { type: "scroll", bottom: 0 },
        series: [
          {
            type: "pie",
            name: column ? column.label : title,
            radius: ["35%", "65%"],
            data: data.rows.map((row) => ({ name: row.label, value: column ? row.values[column.key] : null })),
          },
        ],
      };
    }
    const kind = data.chart === "line" ? "line" : "bar";
    const selected = {};
    columns.forEach((column, index) => {
      selected[column.label] = columns.length <= CROWDED || index < SHOWN_AT_FIRST;
    });
    return {
      ...base,
      legend: { type: "scroll", top: 0, selected },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", axisLabel: axisLabel(type), max: type === "percent" ? 100 : null },
      series: columns.map((column) => ({
        type: kind,
        name: column.label,
        stack: data.chart === "stacked" ? "total" : undefined,
        showSymbol: labels.length <= 31,
        connectNulls: false,
        data: data.rows.map((row) => plotted(row.values[column.key], column.type)),
      })),
    };
  }

  function draw(element) {
    const source = document.getElementById(element.dataset.chart);
    if (!source || charts.has(element)) {
      return;
    }
    let data;
    try {
      data = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    if (!data || !data.rows || !data.rows.length || data.chart === "none") {
      return;
    }
    const chart = window.echarts.init(element, null, { renderer: "svg", locale });
    chart.setOption(optionFor(data, element.dataset.chartTitle || ""));
    charts.set(element, chart);
    if (window.ResizeObserver) {
      const observer = new ResizeObserver(() => chart.resize());
      observer.observe(element);
      chart.observer = observer;
    }
  }

  // Drop the charts whose element an htmx swap removed, then draw the new ones.
  function refresh() {
    charts.forEach((chart, element) => {
      if (!element.isConnected) {
        if (chart.observer) {
          chart.observer.disconnect();
        }
        chart.dispose();
        charts.delete(element);
      }
    });
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("htmx:afterSwap", refresh);
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
