package io.voicehelper.streams.rag;

import io.voicehelper.streams.knowledge.chunking.SentenceSplitter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks support without a model: each sentence of the answer that makes a claim (two or more key terms; a lead-in
 * before a colon is no claim) must have at least {@code minSentenceSupport} of its key terms in the sources it
 * cites with {@code [n]} (in all the sources when it cites none). All such sentences supported: supported; none:
 * unsupported; some: partial. Lexical, so a faithful paraphrase in other words can fail it: with a model configured,
 * {@link ModelSupportChecker} judges instead and this is its fallback.
 */
public final class TermSupportChecker implements SupportChecker {

  private static final Pattern MARKER = Pattern.compile("\\[(\\d{1,3})]");
  private static final Pattern TRAILING_MARKERS = Pattern.compile("([。！？.!?])\\s*((?:\\[\\d{1,3}])+)");
  private static final Pattern LEAD_IN = Pattern.compile("[:：](?!\\d)\\s*");

  private final double minSentenceSupport;

  public TermSupportChecker(double minSentenceSupport) {
    this.minSentenceSupport = minSentenceSupport;
  }

  @Override
  public CompletionStage<Verdict> check(String question, String answer, List<NumberedSource> sources,
      ModelUsage usage) {
    return CompletableFuture.completedFuture(checkNow(answer, sources));
  }

  Verdict checkNow(String answer, List<NumberedSource> sources) {
    int claims = 0;
    int supported = 0;
    // A marker after a sentence's full stop ("… 30 天内可以申请退货。 [1]") belongs to that sentence.
    String marked = TRAILING_MARKERS.matcher(answer).replaceAll("$2$1");
    for (String line : marked.split("\\R")) {
      for (String sentence : SentenceSplitter.split(line.strip())) {
        // What comes before a colon is a lead-in ("From the documents:"), not a claim.
        String[] parts = LEAD_IN.split(sentence.strip());
        if (parts.length == 0) continue;
        String s = parts[parts.length - 1].strip();
        Set<Integer> cited = new HashSet<>();
        Matcher m = MARKER.matcher(s);
        while (m.find()) cited.add(Integer.parseInt(m.group(1)));
        Set<String> terms = QueryTerms.terms(MARKER.matcher(s).replaceAll(" "));
        if (terms.size() < 2) continue;
        claims++;
        if (QueryTerms.coverage(terms, text(sources, cited)) >= minSentenceSupport) supported++;
      }
    }
    if (claims == 0) return new Verdict(Level.SUPPORTED, "no claim to check");
    Level level = supported == claims ? Level.SUPPORTED : supported == 0 ? Level.UNSUPPORTED : Level.PARTIAL;
    return new Verdict(level, supported + " of " + claims + " sentence" + (claims == 1 ? "" : "s")
        + " found in their sources");
  }

  /** The text of the cited sources (all of them when none is cited or the numbers are not theirs). */
  private static String text(List<NumberedSource> sources, Set<Integer> cited) {
    List<String> texts = new ArrayList<>();
    for (NumberedSource source : sources) {
      if (cited.contains(source.number())) texts.add(source.headings() + "\n" + source.chunk().text());
    }
    if (texts.isEmpty()) {
      for (NumberedSource source : sources) texts.add(source.headings() + "\n" + source.chunk().text());
    }
    return String.join("\n", texts);
  }
}
