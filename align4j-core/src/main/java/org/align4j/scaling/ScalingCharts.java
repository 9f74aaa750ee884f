package org.align4j.scaling;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import org.align4j.OutputFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The figures of a scaling study (XChart PNGs): the runs against the approach-3 fit along each IsoFLOP profile
 * (as Hoffmann et al.'s Figure 3/4), the IsoFLOP parabolas, the compute-optimal frontier N_opt(C) and D_opt(C), the
 * fitted loss surface L(N) at fixed D, and Kaplan et al.'s one-variable laws. {@link #write} also serves the other
 * experiments' line charts.
 */
public final class ScalingCharts {
    private static final Color RUN_GREY = new Color(170, 170, 170);
    private static final int CURVE_POINTS = 60;

    private ScalingCharts() {
    }

    /** Writes the charts in a grid of {@code rows} x {@code columns} into a PNG (temporary file, then renamed). */
    public static void write(List<XYChart> charts, int rows, int columns, Path file) throws IOException {
        OutputFile.write(file, temporary -> {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                BitmapEncoder.saveBitmap(charts, rows, columns, out, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    /** A chart with the given titles, legend outside on the right, optionally logarithmic axes. */
    public static XYChart chart(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle)
                .build();
        chart.getStyler().setXAxisLogarithmic(logX).setYAxisLogarithmic(logY)
                .setLegendPosition(Styler.LegendPosition.OutsideE).setChartBackgroundColor(Color.WHITE)
                .setMarkerSize(6);
        return chart;
    }

    /** Adds points as markers only. */
    public static XYSeries scatter(XYChart chart, String name, double[] x, double[] y, Color color) {
        XYSeries s = chart.addSeries(name, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.CIRCLE);
        if (color != null) {
            s.setMarkerColor(color);
        }
        return s;
    }

    /** Adds a line without markers. */
    public static XYSeries line(XYChart chart, String name, double[] x, double[] y, Color color, boolean dashed) {
        XYSeries s = chart.addSeries(name, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        if (dashed) {
            s.setLineStyle(SeriesLines.DASH_DASH);
        }
        if (color != null) {
            s.setLineColor(color);
        }
        return s;
    }

    /** The i-th of n colours spread around the hue circle (blue for small budgets to red for large). */
    public static Color color(int i, int n) {
        float hue = 0.66f * (1 - (n <= 1 ? 0f : (float) i / (n - 1)));
        return Color.getHSBColor(hue, 0.85f, 0.85f);
    }

    /** n points spaced evenly in log between lo and hi. */
    public static double[] logSpace(double lo, double hi, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = lo * Math.pow(hi / lo, n == 1 ? 0 : (double) i / (n - 1));
        }
        return out;
    }

    private static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }

    private static double[] values(List<TrainingRun> runs, ToDoubleFunction<TrainingRun> f) {
        return runs.stream().mapToDouble(f).toArray();
    }

    private static String budget(double compute) {
        return String.format(Locale.ROOT, "C=%.2g", compute);
    }

    /**
     * Loss against N: the runs of each IsoFLOP profile and the approach-3 law L̂(N, D'(C / 6N)) at that budget (D' = D
     * where no data repeats).
     */
    public static XYChart approach3(ScalingLawAnalysis a) {
        XYChart chart = chart("Approach 3: L(N, D) = E + A/N^α + B/D^β along each IsoFLOP profile", "parameters N",
                "loss", true, false);
        List<IsoFlopAnalysis.Profile> profiles = a.approach2().profiles();
        List<TrainingRun> others = new ArrayList<>(a.runs());
        profiles.forEach(p -> others.removeAll(p.runs()));
        if (!others.isEmpty()) {
            scatter(chart, "other runs", values(others, TrainingRun::parameters), values(others, TrainingRun::loss),
                    RUN_GREY);
        }
        ChinchillaLaw law = a.approach3().law();
        DataRepetition repetition = a.options().repetition();
        for (int i = 0; i < profiles.size(); i++) {
            IsoFlopAnalysis.Profile p = profiles.get(i);
            Color color = color(i, profiles.size());
            scatter(chart, budget(p.compute()), values(p.runs(), TrainingRun::parameters),
                    values(p.runs(), TrainingRun::loss), color);
            double[] n = logSpace(p.runs().getFirst().parameters(), p.runs().getLast().parameters(), CURVE_POINTS);
            line(chart, budget(p.compute()) + " fit", n, map(n, x -> law.loss(x, repetition.effectiveTokens(
                    p.compute() / (6 * x)))), color, false);
        }
        return chart;
    }

    /** Approach 2: each profile's runs, its parabola in log N and its vertex. */
    public static XYChart approach2(ScalingLawAnalysis a) {
        XYChart chart = chart("Approach 2: IsoFLOP profiles and their parabolas in log N", "parameters N", "loss",
                true, false);
        List<IsoFlopAnalysis.Profile> profiles = a.approach2().profiles();
        List<Double> vx = new ArrayList<>();
        List<Double> vy = new ArrayList<>();
        for (int i = 0; i < profiles.size(); i++) {
            IsoFlopAnalysis.Profile p = profiles.get(i);
            Color color = color(i, profiles.size());
            scatter(chart, budget(p.compute()), values(p.runs(), TrainingRun::parameters),
                    values(p.runs(), TrainingRun::loss), color);
            double[] n = logSpace(p.runs().getFirst().parameters(), p.runs().getLast().parameters(), CURVE_POINTS);
            line(chart, budget(p.compute()) + " parabola", n, map(n, p::loss), color, true);
            if (p.interior()) {
                vx.add(p.optimalParameters());
                vy.add(p.minimumLoss());
            }
        }
        if (!vx.isEmpty()) {
            XYSeries s = chart.addSeries("minima", vx, vy);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.DIAMOND);
            s.setMarkerColor(Color.BLACK);
        }
        return chart;
    }

    /** N_opt(C) (or D_opt(C)): approach 3 with its bootstrap band, approach 2's vertices and power law. */
    public static XYChart frontier(ScalingLawAnalysis a, boolean tokens) {
        String what = tokens ? "D_opt" : "N_opt";
        XYChart chart = chart("Compute-optimal " + (tokens ? "tokens " : "parameters ") + what + "(C)",
                "training compute C (FLOPs)", tokens ? "tokens D" : "parameters N", true, true);
        double[] c = logSpace(a.frontierComputes()[0], a.frontierComputes()[a.frontierComputes().length - 1],
                CURVE_POINTS);
        List<ChinchillaFit.FrontierPoint> points = a.approach3().frontier(c);
        ToDoubleFunction<ChinchillaFit.FrontierPoint> value = p -> tokens ? p.tokens().value() : p.parameters().value();
        ToDoubleFunction<ChinchillaFit.FrontierPoint> lower = p -> tokens ? p.tokens().lower() : p.parameters().lower();
        ToDoubleFunction<ChinchillaFit.FrontierPoint> upper = p -> tokens ? p.tokens().upper() : p.parameters().upper();
        Color blue = new Color(30, 90, 200);
        line(chart, "approach 3", c, points.stream().mapToDouble(value).toArray(), blue, false);
        if (!a.approach3().bootstrapLaws().isEmpty()) {
            line(chart, "approach 3, 95% CI low", c, points.stream().mapToDouble(lower).toArray(), blue, true);
            line(chart, "approach 3, 95% CI high", c, points.stream().mapToDouble(upper).toArray(), blue, true);
        }
        List<IsoFlopAnalysis.Profile> interior = a.approach2().profiles().stream()
                .filter(IsoFlopAnalysis.Profile::interior).toList();
        if (!interior.isEmpty()) {
            scatter(chart, "approach 2 minima", interior.stream().mapToDouble(IsoFlopAnalysis.Profile::compute).toArray(),
                    interior.stream().mapToDouble(p -> tokens ? p.optimalTokens() : p.optimalParameters()).toArray(),
                    new Color(200, 60, 30));
        }
        PowerLaw law = tokens ? a.approach2().tokensVsCompute() : a.approach2().parametersVsCompute();
        if (law != null) {
            line(chart, "approach 2 power law", c, map(c, law::apply), new Color(200, 60, 30), true);
        }
        return chart;
    }

    /** The fitted surface: L̂(N) at several fixed D (D' where data repeats), over the runs. */
    public static XYChart surface(ScalingLawAnalysis a) {
        XYChart chart = chart("Approach 3 surface: loss against N at fixed D", "parameters N", "loss", true, false);
        List<TrainingRun> runs = a.effectiveRuns();
        scatter(chart, "runs", values(runs, TrainingRun::parameters), values(runs, TrainingRun::loss), RUN_GREY);
        double minN = runs.stream().mapToDouble(TrainingRun::parameters).min().orElseThrow();
        double maxN = runs.stream().mapToDouble(TrainingRun::parameters).max().orElseThrow();
        double minD = runs.stream().mapToDouble(TrainingRun::tokens).min().orElseThrow();
        double maxD = runs.stream().mapToDouble(TrainingRun::tokens).max().orElseThrow();
        double[] n = logSpace(minN / 2, maxN * 2, CURVE_POINTS);
        double[] ds = logSpace(minD, maxD, 5);
        ChinchillaLaw law = a.approach3().law();
        for (int i = 0; i < ds.length; i++) {
            double d = ds[i];
            line(chart, String.format(Locale.ROOT, "D=%.2g", d), n, map(n, x -> law.loss(x, d)), color(i, ds.length),
                    false);
        }
        return chart;
    }

    /**
     * Kaplan et al.'s L(N), L(D), L(C): all runs, the lower envelope fitted, and the power law (where fitted); D is
     * D' where data repeats, as fitted.
     */
    public static List<XYChart> kaplan(ScalingLawAnalysis a) {
        List<XYChart> charts = new ArrayList<>();
        KaplanFit k = a.kaplan();
        List<TrainingRun> runs = a.effectiveRuns();
        charts.add(kaplanPanel(runs, "L(N) = (N_c/N)^α_N", "parameters N", TrainingRun::parameters,
                k.lossVsParameters()));
        charts.add(kaplanPanel(runs, "L(D) = (D_c/D)^α_D", a.options().repetition().modelled() ? "effective tokens D'"
                : "tokens D", TrainingRun::tokens, k.lossVsTokens()));
        charts.add(kaplanPanel(runs, "L(C) = (C_c/C)^α_C", "compute C", TrainingRun::compute, k.lossVsCompute()));
        return charts;
    }

    private static XYChart kaplanPanel(List<TrainingRun> runs, String title, String xTitle,
                                       ToDoubleFunction<TrainingRun> x, PowerLaw law) {
        XYChart chart = chart(title, xTitle, "loss", true, true);
        scatter(chart, "runs", values(runs, x), values(runs, TrainingRun::loss), RUN_GREY);
        List<TrainingRun> envelope = KaplanFit.lowerEnvelope(runs, x);
        scatter(chart, "lower envelope", values(envelope, x), values(envelope, TrainingRun::loss),
                new Color(30, 90, 200));
        if (law == null) {
            return chart;
        }
        double[] xs = logSpace(runs.stream().mapToDouble(x).min().orElseThrow(),
                runs.stream().mapToDouble(x).max().orElseThrow(), CURVE_POINTS);
        line(chart, String.format(Locale.ROOT, "α=%.3f", law.kaplanExponent()), xs, map(xs, law::apply),
                new Color(200, 60, 30), false);
        return chart;
    }
}
