package io.voicehelper.streams.rag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Query expansion from a small configured list of synonym groups: when a query names one member of a group, the
 * others are appended, so that "退换" also finds passages about "退货" and "money back" those about refunds.
 */
public final class Synonyms {

  private final List<List<String>> groups;

  /** @param groups words or phrases that mean the same, each group at least two */
  public Synonyms(List<List<String>> groups) {
    List<List<String>> normalised = new ArrayList<>();
    for (List<String> group : groups) {
      List<String> words = group.stream().map(w -> w.strip().toLowerCase(Locale.ROOT)).filter(w -> !w.isEmpty())
          .distinct().toList();
      if (words.size() > 1) normalised.add(words);
    }
    this.groups = List.copyOf(normalised);
  }

  /** The query with the synonyms of the words it contains appended (those it lacks), in group order. */
  public String expand(String query) {
    String lower = query.toLowerCase(Locale.ROOT);
    List<String> added = new ArrayList<>();
    for (List<String> group : groups) {
      if (group.stream().noneMatch(lower::contains)) continue;
      for (String word : group) {
        if (!lower.contains(word) && !added.contains(word)) added.add(word);
      }
    }
    return added.isEmpty() ? query : query + " " + String.join(" ", added);
  }
}
