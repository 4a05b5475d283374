package io.chorus.bench;

import java.util.Locale;

/**
 * One figure of a benchmark for the consolidated report ({@code bench/report.sh}): printed as a tab-separated line
 * starting with {@code REPORT}, which the script gathers from every benchmark's output into one Markdown table.
 */
public final class ReportLine {

    private ReportLine() {}

    /**
     * @param ceiling the baseline measured in the same run with the same harness, or {@code NaN} when the figure has
     *     none (a count that must be zero, a heap size)
     * @param higherIsBetter whether the ratio is figure / ceiling (throughput) or ceiling / figure (latency)
     * @param goal the goal as the issue states it; empty when none was set
     * @param met whether the figure meets the goal
     */
    public static void print(
            String benchmark,
            String figure,
            double value,
            String unit,
            double ceiling,
            boolean higherIsBetter,
            String goal,
            boolean met) {
        String ratio = Double.isNaN(ceiling) || value == 0
                ? ""
                : String.format(Locale.ROOT, "%.2f", higherIsBetter ? value / ceiling : ceiling / value);
        System.out.println(String.join(
                "\t",
                "REPORT",
                benchmark,
                figure,
                number(value) + " " + unit,
                Double.isNaN(ceiling) ? "" : number(ceiling) + " " + unit,
                ratio,
                goal,
                goal.isEmpty() ? "" : met ? "met" : "missed"));
    }

    private static String number(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.2f", value);
    }
}
