package org.align4j.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.scaling.ChinchillaLaw;
import org.align4j.scaling.DataRepetition;
import org.align4j.scaling.Estimate;
import org.align4j.scaling.ScalingLawAnalysis;
import org.align4j.scaling.ScalingLawReport;
import org.align4j.scaling.TrainingRun;
import org.align4j.scaling.TrainingRunsCsv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j scaling fit}: fits Chinchilla approaches 3 and 2 and Kaplan's laws to a CSV of training runs and
 * writes results.json, report.md and the figures.
 */
@Command(name = "fit", mixinStandardHelpOptions = true, description = {
        "Fit scaling laws to a CSV of training runs (N, D or C, loss): Chinchilla approach 3 with bootstrap",
        "intervals and the compute-optimal frontier, approach 2 IsoFLOP parabolas (bootstrap interval of a),",
        "Kaplan's power laws."})
final class ScalingFitCommand implements Callable<Integer> {
    /** Start grids of approach 3. */
    enum Grid { paper, coarse }

    @Option(names = "--csv", required = true, description = "CSV with a header line: N, D and/or C, loss columns")
    Path csv;
    @Option(names = "--output", defaultValue = "runs/scaling-fit", description = "output folder (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--n-column", description = "column of N (default: N, parameters, params or Model Size)")
    String nColumn;
    @Option(names = "--d-column", description = "column of D (default: D or tokens; else D = C / 6N)")
    String dColumn;
    @Option(names = "--c-column", description = "column of C (default: C, compute, flops or Training FLOP; else C = 6ND)")
    String cColumn;
    @Option(names = "--loss-column", description = "column of the loss (default: loss, eval_loss or L)")
    String lossColumn;
    @Option(names = "--drop-highest-loss", defaultValue = "0",
            description = "leave out the K runs of highest loss, as Epoch AI left out 5 (default ${DEFAULT-VALUE})")
    int dropHighestLoss;
    @Option(names = "--grid", defaultValue = "paper",
            description = "approach 3 starts: paper (4500, Hoffmann et al.) or coarse (243) (default ${DEFAULT-VALUE})")
    Grid grid;
    @Option(names = "--bootstrap", defaultValue = "200", description = "bootstrap refits for the intervals (default ${DEFAULT-VALUE})")
    int bootstrap;
    @Option(names = "--seed", defaultValue = "42", description = "bootstrap seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--huber-delta", defaultValue = "1e-3", description = "Huber threshold on log L (default ${DEFAULT-VALUE})")
    double huberDelta;
    @Option(names = "--isoflop-gap", defaultValue = "0.02",
            description = "runs within this many decades of compute form one IsoFLOP profile (default ${DEFAULT-VALUE})")
    double isoFlopGap;
    @Option(names = "--min-isoflop-runs", defaultValue = "4",
            description = "smallest IsoFLOP profile fitted (default ${DEFAULT-VALUE})")
    int minIsoFlopRuns;

    @Override
    public Integer call() throws IOException {
        if (dropHighestLoss < 0 || bootstrap < 0 || !(huberDelta > 0) || !(isoFlopGap > 0)) {
            throw new InputException("--drop-highest-loss and --bootstrap must be >= 0, --huber-delta and"
                    + " --isoflop-gap > 0");
        }
        List<TrainingRun> all = TrainingRunsCsv.read(csv, new TrainingRunsCsv.Columns(nColumn, dColumn, cColumn,
                lossColumn));
        if (all.size() - dropHighestLoss < 6) {
            throw new InputException(csv + ": " + all.size() + " runs, " + dropHighestLoss
                    + " dropped: at least 6 are needed to fit 5 parameters");
        }
        List<TrainingRun> runs = all.stream().sorted(Comparator.comparingDouble(TrainingRun::loss))
                .limit(all.size() - dropHighestLoss).toList();
        ScalingLawAnalysis.Options options = new ScalingLawAnalysis.Options(
                grid == Grid.paper ? ChinchillaLaw.paperStartGrid() : ChinchillaLaw.coarseStartGrid(),
                grid == Grid.paper ? "the paper's grid (4500 starts)" : "a coarse grid (243 starts)", huberDelta, bootstrap, seed,
                isoFlopGap, minIsoFlopRuns, DataRepetition.none());
        long started = System.nanoTime();
        ScalingLawAnalysis analysis = ScalingLawAnalysis.run(runs, options);
        double seconds = (System.nanoTime() - started) / 1e9;
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("csv", csv.toString());
        data.put("runs_in_file", all.size());
        data.put("dropped_highest_loss", dropHighestLoss);
        data.put("fit_seconds", seconds);
        String dataMd = String.format(Locale.ROOT, "Data: %s, %d runs%s. Fitted in %.1f s.%n", csv, all.size(),
                dropHighestLoss > 0 ? ", the " + dropHighestLoss + " of highest loss left out" : "", seconds);
        ScalingLawReport.writeResults(analysis, output, "Scaling-law fit of " + csv.getFileName(), data, dataMd);
        ChinchillaLaw law = analysis.approach3().law();
        Estimate a = analysis.approach3().estimate(ChinchillaLaw::parameterExponent);
        System.out.printf(Locale.ROOT, "approach 3 on %d runs: E = %.4g, A = %.4g, B = %.4g, alpha = %.4f, beta = %.4f;"
                        + " N_opt ~ C^%.3f [%.3f, %.3f]%n", runs.size(), law.e(), law.a(), law.b(), law.alpha(),
                law.beta(), a.value(), a.lower(), a.upper());
        System.out.println(ScalingLawReport.measured(analysis));
        System.out.println("claim " + (ScalingLawReport.claimHeld(analysis) ? "held" : "did not hold")
                + "; wrote results.json, report.md and figures to " + output);
        return 0;
    }
}
