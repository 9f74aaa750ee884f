package org.align4j.scaling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.OutputFile;

/**
 * Results of a {@link ScalingLawAnalysis} as JSON, Markdown and PNG figures, and the claim they test: Hoffmann et
 * al.'s (2022) finding that compute-optimal training grows parameters and tokens about equally with compute
 * (N_opt ∝ C^a, D_opt ∝ C^b, a ≈ b ≈ 0.5, against Kaplan et al.'s a ≈ 0.73).
 */
public final class ScalingLawReport {
    /** The claim tested. */
    public static final String CLAIM = "Compute-optimal training grows parameters and tokens about equally with "
            + "compute: N_opt ∝ C^a and D_opt ∝ C^b with a ≈ b ≈ 0.5 (Hoffmann et al. 2022; Kaplan et al. 2020 "
            + "had a ≈ 0.73). Held when approach 3's a and approach 2's a both lie in [0.4, 0.6], approach 2's "
            + "through at least two IsoFLOP minima that lie strictly inside the sizes of their profiles (a minimum "
            + "at an edge locates no optimum and is reported as such).";
    /** The figure files {@link #writeFigures} writes. */
    public static final List<String> FIGURES = List.of("approach3.png", "isoflop.png", "frontier.png", "surface.png",
            "kaplan.png");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ScalingLawReport() {
    }

    /**
     * Writes {@code results.json} (the claim, whether it held, {@code data} and the fits), {@code report.md} (titled
     * {@code title}, with {@code dataMarkdown} before the fits) and the {@link #FIGURES} into {@code dir}.
     */
    public static void writeResults(ScalingLawAnalysis a, Path dir, String title, ObjectNode data, String dataMarkdown)
            throws IOException {
        Files.createDirectories(dir);
        boolean held = claimHeld(a);
        ObjectNode root = JSON.objectNode();
        root.put("claim", CLAIM);
        root.put("measured", measured(a));
        root.put("held", held);
        root.set("data", data);
        root.setAll(json(a));
        OutputFile.writeString(dir.resolve("results.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
        writeFigures(a, dir);
        String md = "# " + title + "\n\n**Claim.** " + CLAIM + "\n\n**Measured.** " + measured(a) + "\n\n**Held:** "
                + (held ? "yes" : "no") + "\n\n" + dataMarkdown + "\n" + markdown(a);
        OutputFile.writeString(dir.resolve("report.md"), md);
    }

    /** Whether {@link #CLAIM} held on this analysis. */
    public static boolean claimHeld(ScalingLawAnalysis a) {
        double a3 = a.approach3().law().parameterExponent();
        PowerLaw a2 = a.approach2().parametersVsCompute();
        return a3 >= 0.4 && a3 <= 0.6 && a2 != null && a2.exponent() >= 0.4 && a2.exponent() <= 0.6;
    }

    /**
     * One line on what was measured against the claim: both exponents with their intervals, how many IsoFLOP minima
     * lie inside their sizes, and each one that does not.
     */
    public static String measured(ScalingLawAnalysis a) {
        Estimate a3 = a.approach3().estimate(ChinchillaLaw::parameterExponent);
        IsoFlopAnalysis iso = a.approach2();
        long interior = iso.profiles().stream().filter(IsoFlopAnalysis.Profile::interior).count();
        String approach2 = iso.parameterExponent() == null
                ? String.format(Locale.ROOT, "%d of %d IsoFLOP minima inside their sizes, too few for a power law",
                interior, iso.profiles().size())
                : String.format(Locale.ROOT, "a = %.3f [%.3f, %.3f] through %d of %d IsoFLOP minima",
                iso.parameterExponent().value(), iso.parameterExponent().lower(), iso.parameterExponent().upper(),
                interior, iso.profiles().size());
        List<String> edges = iso.profiles().stream().filter(p -> !p.interior())
                .map(p -> String.format(Locale.ROOT, "C = %.2g: %s", p.compute(), p.position().description()))
                .toList();
        return String.format(Locale.ROOT, "approach 3%s: a = %.3f [%.3f, %.3f]; approach 2: %s%s",
                a.options().repetition().modelled() ? " (repeated tokens valued as D')" : "", a3.value(), a3.lower(),
                a3.upper(), approach2, edges.isEmpty() ? "" : "; not located: " + String.join(", ", edges));
    }

    /** The fits as JSON: approach 3 with intervals and frontier, approach 2, Kaplan, and the settings. */
    public static ObjectNode json(ScalingLawAnalysis a) {
        ObjectNode root = JSON.objectNode();
        ObjectNode settings = root.putObject("settings");
        settings.put("runs", a.runs().size());
        settings.put("start_grid", a.options().startGridName());
        settings.put("huber_delta", a.options().huberDelta());
        settings.put("bootstrap_samples", a.options().bootstrapSamples());
        settings.put("seed", a.options().seed());
        settings.put("isoflop_gap_decades", a.options().isoFlopGapDecades());
        settings.put("min_isoflop_runs", a.options().minIsoFlopRuns());
        DataRepetition repetition = a.options().repetition();
        ObjectNode repeated = settings.putObject("repetition");
        repeated.put("modelled", repetition.modelled());
        if (repetition.modelled()) {
            repeated.put("law", "D' = U + U R*_D (1 - exp(-R / R*_D)), R = D / U - 1 (Muennighoff et al. 2023)");
            repeated.put("unique_tokens", repetition.uniqueTokens());
            repeated.put("R_D_star", repetition.decay());
        }
        ChinchillaFit f = a.approach3();
        ObjectNode approach3 = root.putObject("approach3");
        approach3.put("law", "L(N, D) = E + A / N^alpha + B / D^beta");
        approach3.put("huber_objective", f.objective());
        approach3.put("starts", f.starts());
        approach3.put("converged_starts", f.convergedStarts());
        approach3.put("bootstrap_fits", f.bootstrapLaws().size());
        ObjectNode parameters = approach3.putObject("parameters");
        f.estimates().forEach((name, e) -> parameters.set(name, estimate(e)));
        ArrayNode frontier = approach3.putArray("frontier");
        for (ChinchillaFit.FrontierPoint p : f.frontier(a.frontierComputes())) {
            ObjectNode row = frontier.addObject();
            row.put("compute", p.compute());
            row.set("parameters", estimate(p.parameters()));
            row.set("tokens", estimate(p.tokens()));
            row.set("tokens_per_parameter", estimate(p.tokensPerParameter()));
            row.set("loss", estimate(p.loss()));
        }
        IsoFlopAnalysis iso = a.approach2();
        ObjectNode approach2 = root.putObject("approach2");
        ArrayNode profiles = approach2.putArray("profiles");
        for (IsoFlopAnalysis.Profile p : iso.profiles()) {
            ObjectNode row = profiles.addObject();
            row.put("compute", p.compute());
            row.put("runs", p.runs().size());
            row.put("smallest_parameters", p.runs().getFirst().parameters());
            row.put("largest_parameters", p.runs().getLast().parameters());
            row.put("optimal_parameters", p.optimalParameters());
            row.put("optimal_tokens", p.optimalTokens());
            row.put("minimum_loss", p.minimumLoss());
            row.put("interior", p.interior());
            row.put("minimum_position", p.position().name().toLowerCase(Locale.ROOT));
            row.put("approach3_optimal_parameters", a.approach3IsoFlopMinimum(p.compute()));
            row.putArray("parabola_ln_n").add(p.c0()).add(p.c1()).add(p.c2());
        }
        approach2.put("every_minimum_interior", iso.everyMinimumInterior());
        approach2.set("parameters_vs_compute", powerLaw(iso.parametersVsCompute()));
        approach2.set("tokens_vs_compute", powerLaw(iso.tokensVsCompute()));
        approach2.put("interval", "95% percentile bootstrap over the runs, resampled within each profile");
        approach2.put("bootstrap_samples", a.options().bootstrapSamples());
        approach2.put("bootstrap_fits", iso.bootstrapFits());
        approach2.set("a", iso.parameterExponent() == null ? null : estimate(iso.parameterExponent()));
        approach2.set("b", iso.tokenExponent() == null ? null : estimate(iso.tokenExponent()));
        KaplanFit k = a.kaplan();
        ObjectNode kaplan = root.putObject("kaplan");
        kaplan.set("loss_vs_parameters", kaplanLaw(k.lossVsParameters(), "N_c", "alpha_N"));
        kaplan.set("loss_vs_tokens", kaplanLaw(k.lossVsTokens(), "D_c", "alpha_D"));
        kaplan.set("loss_vs_compute", kaplanLaw(k.lossVsCompute(), "C_c", "alpha_C"));
        ObjectNode joint = kaplan.putObject("loss_vs_parameters_and_tokens");
        joint.put("law", "L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D");
        joint.put("N_c", k.joint().nc());
        joint.put("D_c", k.joint().dc());
        joint.put("alpha_N", k.joint().alphaN());
        joint.put("alpha_D", k.joint().alphaD());
        joint.put("huber_objective", k.jointObjective());
        return root;
    }

    private static ObjectNode estimate(Estimate e) {
        ObjectNode node = JSON.objectNode();
        node.put("value", e.value());
        node.put("ci_low", e.lower());
        node.put("ci_high", e.upper());
        node.put("standard_error", e.standardError());
        return node;
    }

    private static ObjectNode powerLaw(PowerLaw law) {
        if (law == null) {
            return null;
        }
        ObjectNode node = JSON.objectNode();
        node.put("coefficient", law.coefficient());
        node.put("exponent", law.exponent());
        node.put("points", law.points());
        return node;
    }

    private static ObjectNode kaplanLaw(PowerLaw law, String scale, String exponent) {
        if (law == null) {
            return null;
        }
        ObjectNode node = JSON.objectNode();
        node.put(scale, law.kaplanScale());
        node.put(exponent, law.kaplanExponent());
        node.put("envelope_runs", law.points());
        return node;
    }

    /** Writes {@link #FIGURES} into {@code dir}. */
    public static void writeFigures(ScalingLawAnalysis a, Path dir) throws IOException {
        ScalingCharts.write(List.of(ScalingCharts.approach3(a)), 1, 1, dir.resolve(FIGURES.get(0)));
        ScalingCharts.write(List.of(ScalingCharts.approach2(a)), 1, 1, dir.resolve(FIGURES.get(1)));
        ScalingCharts.write(List.of(ScalingCharts.frontier(a, false), ScalingCharts.frontier(a, true)), 1, 2,
                dir.resolve(FIGURES.get(2)));
        ScalingCharts.write(List.of(ScalingCharts.surface(a)), 1, 1, dir.resolve(FIGURES.get(3)));
        ScalingCharts.write(ScalingCharts.kaplan(a), 1, 3, dir.resolve(FIGURES.get(4)));
    }

    /** The fits as Markdown sections (tables of parameters with intervals, the frontier, the profiles). */
    public static String markdown(ScalingLawAnalysis a) {
        StringBuilder md = new StringBuilder();
        ChinchillaFit f = a.approach3();
        md.append("## Approach 3: L(N, D) = E + A/N^α + B/D^β\n\n");
        DataRepetition repetition = a.options().repetition();
        if (repetition.modelled()) {
            md.append(String.format(Locale.ROOT, "Repeated tokens are valued as Muennighoff et al. (2023) value them: "
                    + "D is replaced by D' = U + U R*_D (1 − exp(−R/R*_D)), R = D/U − 1 repetitions of the U = %.0f "
                    + "unique tokens, R*_D = %.1f (their fit, not refitted here). The law below is then the law of "
                    + "unique data, and so is its frontier.%n%n", repetition.uniqueTokens(), repetition.decay()));
        }
        md.append(String.format(Locale.ROOT, "Huber δ = %s on log L, L-BFGS from %s (%d of %d starts "
                        + "converged), %d runs; 95%% percentile intervals from %d bootstrap refits.%n%n",
                a.options().huberDelta(), a.options().startGridName(), f.convergedStarts(), f.starts(), f.runs(),
                f.bootstrapLaws().size()));
        md.append("| parameter | estimate | 95% interval | standard error |\n| --- | --- | --- | --- |\n");
        for (Map.Entry<String, Estimate> e : f.estimates().entrySet()) {
            Estimate est = e.getValue();
            md.append(String.format(Locale.ROOT, "| %s | %.4g | [%.4g, %.4g] | %.3g |%n", e.getKey(), est.value(),
                    est.lower(), est.upper(), est.standardError()));
        }
        md.append("\na = β/(α+β) and b = α/(α+β) are the exponents of N_opt ∝ C^a and D_opt ∝ C^b; "
                + "G = (αA/(βB))^(1/(α+β)) gives N_opt = G (C/6)^a.\n\n");
        md.append("### Compute-optimal frontier (C = 6ND)\n\n");
        md.append("| C (FLOPs) | N_opt | D_opt | D_opt / N_opt | loss |\n| --- | --- | --- | --- | --- |\n");
        for (ChinchillaFit.FrontierPoint p : f.frontier(a.frontierComputes())) {
            md.append(String.format(Locale.ROOT, "| %.0e | %s | %s | %s | %.3f |%n", p.compute(),
                    interval(p.parameters()), interval(p.tokens()), interval(p.tokensPerParameter()),
                    p.loss().value()));
        }
        md.append("\n## Approach 2: IsoFLOP profiles\n\n");
        md.append("Each profile's parabola in ln N has its minimum N_opt (D_opt = C / 6N_opt); only a minimum strictly "
                + "inside the sizes swept locates an optimum and enters the power law. The last column is where "
                + "approach 3's law has its minimum along the same IsoFLOP line"
                + (a.options().repetition().modelled() ? ", repeated tokens valued as D'" : "") + ".\n\n");
        md.append("| C (FLOPs) | runs | N swept | N_opt | D_opt | minimum loss | vertex | approach 3's N_opt |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (IsoFlopAnalysis.Profile p : a.approach2().profiles()) {
            md.append(String.format(Locale.ROOT, "| %.3g | %d | %.3g-%.3g | %.3g | %.3g | %.4f | %s | %.3g |%n",
                    p.compute(), p.runs().size(), p.runs().getFirst().parameters(), p.runs().getLast().parameters(),
                    p.optimalParameters(), p.optimalTokens(), p.minimumLoss(), p.position().description(),
                    a.approach3IsoFlopMinimum(p.compute())));
        }
        IsoFlopAnalysis iso = a.approach2();
        md.append(iso.parameterExponent() == null
                ? "\nFewer than two minima inside their sizes: no power law through them.\n"
                : String.format(Locale.ROOT, "%nThrough the %d minima inside their sizes: N_opt ∝ C^a with a = %.3f "
                        + "[%.3f, %.3f], D_opt ∝ C^b with b = 1 − a = %.3f [%.3f, %.3f] (Hoffmann et al.: 0.49 and "
                        + "0.51). 95%% percentile intervals from %d bootstrap resamples of the runs, drawn within each "
                        + "profile, whose parabolas and power law were refitted (%d of them had two or more minima "
                        + "inside their sizes and gave an a).%n", iso.parametersVsCompute().points(),
                iso.parameterExponent().value(), iso.parameterExponent().lower(), iso.parameterExponent().upper(),
                iso.tokenExponent().value(), iso.tokenExponent().lower(), iso.tokenExponent().upper(),
                a.options().bootstrapSamples(), iso.bootstrapFits()));
        KaplanFit k = a.kaplan();
        md.append("\n## Kaplan et al. (2020)\n\n| law | scale | exponent | envelope runs |\n| --- | --- | --- | --- |\n");
        md.append(kaplanRow("L(N) = (N_c/N)^α_N", k.lossVsParameters()));
        md.append(kaplanRow("L(D) = (D_c/D)^α_D", k.lossVsTokens()));
        md.append(kaplanRow("L(C) = (C_c/C)^α_C", k.lossVsCompute()));
        md.append(String.format(Locale.ROOT, "%nEq. 1.5, L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D on all runs: "
                        + "N_c = %.3g, D_c = %.3g, α_N = %.3f, α_D = %.3f (Huber objective %.3g; approach 3: %.3g).%n",
                k.joint().nc(), k.joint().dc(), k.joint().alphaN(), k.joint().alphaD(), k.jointObjective(),
                f.objective()));
        md.append("\n## Figures\n\n");
        for (String figure : FIGURES) {
            md.append("![").append(figure).append("](").append(figure).append(")\n");
        }
        return md.toString();
    }

    private static String interval(Estimate e) {
        return String.format(Locale.ROOT, "%.3g [%.3g, %.3g]", e.value(), e.lower(), e.upper());
    }

    private static String kaplanRow(String name, PowerLaw law) {
        if (law == null) {
            return "| " + name + " | - | - | 1 (the loss never fell as the variable grew) |\n";
        }
        return String.format(Locale.ROOT, "| %s | %.3g | %.4f | %d |%n", name, law.kaplanScale(),
                law.kaplanExponent(), law.points());
    }
}
