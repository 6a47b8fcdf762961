package io.voicehelper.streams.rag;

import io.voicehelper.streams.generation.FakeOpenAiServer;
import io.voicehelper.streams.generation.FakeOpenAiServer.Recorded;
import io.voicehelper.streams.generation.FakeOpenAiServer.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A script for the loopback OpenAI fake that answers each kind of helper call (routing, grading, checking, retry,
 * rewrite) and the answer itself from its own list of steps, in order, whatever order the calls come in: the kind is
 * told by the instruction in the request's system messages. The last step of a list repeats.
 */
public final class ModelScript {

  private final Map<String, List<Step>> byInstruction = new LinkedHashMap<>();
  private final Map<String, AtomicInteger> asked = new LinkedHashMap<>();
  private Step otherwise = FakeOpenAiServer.error(400, "{\"error\":{\"message\":\"unscripted call\"}}");

  /** How calls of no scripted kind (a chat reply) are answered; by default 400. */
  public ModelScript otherwise(Step step) {
    otherwise = step;
    return this;
  }

  public ModelScript on(String instruction, Step... steps) {
    byInstruction.put(instruction, List.of(steps));
    asked.put(instruction, new AtomicInteger());
    return this;
  }

  /** Steps that stream {@code text} as the answer, with the given usage. */
  public static Step says(String text, int promptTokens, int completionTokens) {
    return FakeOpenAiServer.stream("gpt-fake", List.of(text), promptTokens, completionTokens);
  }

  /** How many calls of this kind were made. */
  public int asked(String instruction) {
    return asked.get(instruction).get();
  }

  /** The requests of one kind, in order. */
  public static List<Recorded> requests(FakeOpenAiServer fake, String instruction) {
    List<Recorded> of = new ArrayList<>();
    for (Recorded r : fake.requests()) if (system(r).contains(instruction)) of.add(r);
    return of;
  }

  /** The request's system messages, joined (the provider adapter may put its own before ours). */
  public static String system(Recorded request) {
    StringBuilder system = new StringBuilder();
    for (com.fasterxml.jackson.databind.JsonNode m : request.body().path("messages")) {
      if (m.path("role").asText().equals("system")) system.append(m.path("content").asText()).append('\n');
    }
    return system.toString();
  }

  /** The content of the request's last message (the user's). */
  public static String lastMessage(Recorded request) {
    com.fasterxml.jackson.databind.JsonNode messages = request.body().path("messages");
    return messages.path(messages.size() - 1).path("content").asText();
  }

  public Step step() {
    return (exchange, request, server) -> {
      String system = system(request);
      for (Map.Entry<String, List<Step>> e : byInstruction.entrySet()) {
        if (system.contains(e.getKey())) {
          int n = asked.get(e.getKey()).getAndIncrement();
          List<Step> steps = e.getValue();
          steps.get(Math.min(n, steps.size() - 1)).respond(exchange, request, server);
          return;
        }
      }
      otherwise.respond(exchange, request, server);
    };
  }
}
