package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroundedPromptTest {

  private static final List<NumberedSource> SOURCES = List.of(
      new NumberedSource(1, RagFixtures.policyPassages().get(0), "returns.md"),
      new NumberedSource(2, RagFixtures.policyPassages().get(2), "shipping.md"));

  @Test
  void theSystemTurnHasTheInstructionAndTheNumberedSources() {
    List<ChatTurn> context = GroundedPrompt.build("退货期限是多久？", List.of(), SOURCES, 3, 1200);
    ChatTurn system = context.get(0);
    assertEquals(ChatTurn.Role.SYSTEM, system.role());
    String text = system.content();
    assertTrue(text.startsWith(GroundedPrompt.INSTRUCTION));
    assertTrue(text.contains("cite the source it comes from as [n]"));
    assertTrue(text.contains("do not cover it"));
    assertTrue(text.contains("[1] returns.md — 退货政策 > 退货期限\n自签收之日起 30 天内可以申请退货。"), text);
    assertTrue(text.contains("[2] shipping.md — Shipping\nOrders ship from Shanghai."), text);
    assertTrue(text.indexOf("[1] returns.md") < text.indexOf("[2] shipping.md"));
    assertEquals(ChatTurn.user("退货期限是多久？"), context.get(context.size() - 1));
  }

  @Test
  void onlyTheLastThreeTurnsComeBeforeTheQuestion() {
    List<ChatTurn> history = List.of(
        ChatTurn.system("Summary: earlier talk about shoes"),
        ChatTurn.user("one"), ChatTurn.assistant("two"), ChatTurn.user("three"), ChatTurn.assistant("four"));
    List<ChatTurn> context = GroundedPrompt.build("five?", history, SOURCES, 3, 1200);
    assertEquals(List.of(ChatTurn.assistant("two"), ChatTurn.user("three"), ChatTurn.assistant("four"),
        ChatTurn.user("five?")), context.subList(1, context.size()));
  }

  @Test
  void longSourcesAreCut() {
    String text = GroundedPrompt.sources(SOURCES, 20);
    assertFalse(text.contains("15 天"), text);
    assertTrue(text.contains("…"));
  }
}
