package io.voicehelper.streams.voice.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A bigram language model of a domain's text (a tenant's FAQ and documents) for pocketsphinx, in ARPA format: it
 * makes the recognizer expect the words and word pairs callers of that domain use ({@code language-model} =
 * the written file). Sentences are split at punctuation and line ends; only sentences whose words are all in the
 * pronunciation dictionary are kept (pocketsphinx refuses words it cannot pronounce). Bigrams are discounted
 * absolutely (0.5) and back off to add-one-smoothed unigrams (Katz-style weights), which is enough for a small corpus.
 * Configure it with the dictionary {@link #writeDictionary} restricts to its words.
 */
public final class DomainLanguageModel {

  private static final double DISCOUNT = 0.5;
  private static final String START = "<s>";
  private static final String END = "</s>";
  private static final Pattern SENTENCE_END = Pattern.compile("[.!?;:\\n\\r]+");
  private static final Pattern WORD = Pattern.compile("[a-z]+(?:'[a-z]+)*");

  private final Map<String, Integer> unigrams;
  private final Map<String, Map<String, Integer>> bigrams;
  private final int sentences;

  private DomainLanguageModel(Map<String, Integer> unigrams, Map<String, Map<String, Integer>> bigrams, int sentences) {
    this.unigrams = unigrams;
    this.bigrams = bigrams;
    this.sentences = sentences;
  }

  /** The model of {@code texts}, keeping the sentences made only of {@code vocabulary}'s words (lower case). */
  public static DomainLanguageModel fromTexts(Stream<String> texts, Set<String> vocabulary) {
    Map<String, Integer> unigrams = new TreeMap<>();
    Map<String, Map<String, Integer>> bigrams = new TreeMap<>();
    int[] kept = {0};
    texts.flatMap(SENTENCE_END::splitAsStream).forEach(sentence -> {
      List<String> words = new ArrayList<>();
      Matcher matcher = WORD.matcher(sentence.toLowerCase(Locale.ROOT));
      while (matcher.find()) words.add(matcher.group());
      if (words.isEmpty() || !vocabulary.containsAll(words)) return;
      kept[0]++;
      words.add(0, START);
      words.add(END);
      for (int i = 0; i < words.size(); i++) {
        unigrams.merge(words.get(i), 1, Integer::sum);
        if (i > 0) bigrams.computeIfAbsent(words.get(i - 1), w -> new TreeMap<>()).merge(words.get(i), 1, Integer::sum);
      }
    });
    if (kept[0] == 0) throw new IllegalArgumentException("no sentence of the texts has only dictionary words");
    return new DomainLanguageModel(unigrams, bigrams, kept[0]);
  }

  /** The words of a CMU-format pronunciation dictionary ({@code word PHONES}, alternates as {@code word(2)}). */
  public static Set<String> dictionaryWords(Path dictionary) {
    Set<String> words = new HashSet<>();
    try (Stream<String> lines = Files.lines(dictionary, StandardCharsets.UTF_8)) {
      lines.forEach(line -> headword(line).ifPresent(words::add));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return words;
  }

  /**
   * Writes the entries of {@code dictionary} for this model's words to {@code file}: pocketsphinx loads a small model
   * with the whole 135,000-word dictionary in about 7 s, with only its words in under 0.2 s.
   */
  public void writeDictionary(Path dictionary, Path file) {
    Set<String> words = words();
    try (Stream<String> lines = Files.lines(dictionary, StandardCharsets.UTF_8)) {
      Files.write(file, (Iterable<String>) lines.filter(line -> headword(line).filter(words::contains).isPresent())
          ::iterator, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<String> headword(String line) {
    int space = line.indexOf(' ');
    if (space <= 0) return Optional.empty();
    String word = line.substring(0, space);
    int alternate = word.indexOf('(');
    return Optional.of((alternate > 0 ? word.substring(0, alternate) : word).toLowerCase(Locale.ROOT));
  }

  /** How many sentences the model was counted from. */
  public int sentences() {
    return sentences;
  }

  /** The words the model knows, without {@code <s>} and {@code </s>}. */
  public Set<String> words() {
    Set<String> words = new HashSet<>(unigrams.keySet());
    words.remove(START);
    words.remove(END);
    return words;
  }

  /** The model in ARPA format. */
  public String toArpa() {
    Map<String, Double> unigram = unigramProbabilities();
    StringBuilder ones = new StringBuilder();
    StringBuilder twos = new StringBuilder();
    int bigramCount = 0;
    for (String word : unigrams.keySet()) {
      Map<String, Integer> followers = bigrams.getOrDefault(word, Map.of());
      double logProbability = word.equals(START) ? -99 : Math.log10(unigram.get(word));
      ones.append(format(logProbability)).append(' ').append(word);
      if (!followers.isEmpty()) {
        int context = followers.values().stream().mapToInt(Integer::intValue).sum();
        double seenUnigramMass = 0;
        for (Map.Entry<String, Integer> follower : followers.entrySet()) {
          double probability = (follower.getValue() - DISCOUNT) / context;
          twos.append(format(Math.log10(probability))).append(' ').append(word).append(' ')
              .append(follower.getKey()).append('\n');
          seenUnigramMass += unigram.get(follower.getKey());
          bigramCount++;
        }
        double leftOver = DISCOUNT * followers.size() / context;
        ones.append(' ').append(format(Math.log10(leftOver / Math.max(1e-9, 1 - seenUnigramMass))));
      }
      ones.append('\n');
    }
    return "\\data\\\nngram 1=" + unigrams.size() + "\nngram 2=" + bigramCount + "\n\n\\1-grams:\n" + ones
        + "\n\\2-grams:\n" + twos + "\n\\end\\\n";
  }

  /** Writes {@link #toArpa()} to {@code file}. */
  public void write(Path file) {
    try {
      Files.writeString(file, toArpa(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Add-one-smoothed unigram probabilities of every word but {@code <s>} (which only starts sentences). */
  private Map<String, Double> unigramProbabilities() {
    int total = 0;
    int vocabulary = 0;
    for (Map.Entry<String, Integer> entry : unigrams.entrySet()) {
      if (entry.getKey().equals(START)) continue;
      total += entry.getValue();
      vocabulary++;
    }
    Map<String, Double> probabilities = new HashMap<>();
    for (Map.Entry<String, Integer> entry : unigrams.entrySet()) {
      probabilities.put(entry.getKey(), (entry.getValue() + 1.0) / (total + vocabulary));
    }
    return probabilities;
  }

  private static String format(double log10) {
    return String.format(Locale.ROOT, "%.4f", log10);
  }
}
