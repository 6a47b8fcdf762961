package io.voicehelper.edge.http.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PiiMaskingTest {

  @Test
  void masksEmailAddresses() {
    assertEquals("write to j***@example.com now", PiiMasking.mask("write to john.doe@example.com now"));
  }

  @Test
  void masksPhoneNumbersKeepingTheLastFourDigits() {
    assertEquals("我的手机*******5678", PiiMasking.mask("我的手机13812345678"));
    assertEquals("call +** *** *** 7890", PiiMasking.mask("call +49 151 234 7890"));
    assertEquals("or ***-***-4567", PiiMasking.mask("or 555-123-4567"));
  }

  @Test
  void masksIdentityNumbers() {
    assertEquals("id **************123X", PiiMasking.mask("id 11010519491231123X"));
    assertEquals("old ***********1234", PiiMasking.mask("old 110105491231234"));
  }

  @Test
  void leavesDatesIdsAndDurationsAlone() {
    String text = "2026-11-24T18:29:33Z reply 46c95dc6-a2ad-4e32-81e9-cc00747ae087 took 1234567 ns, port 8080";
    assertEquals(text, PiiMasking.mask(text));
  }

  @Test
  void masksNumbersWrittenWithSeparatorsAndSkipsTextWithoutCandidates() {
    assertEquals("call +* *** ***-0167", PiiMasking.mask("call +1 212 555-0167"));
    assertEquals("dial 1-3-8-1-2-3-4-5-6-7-8 or ***.***.5678", PiiMasking.mask("dial 1-3-8-1-2-3-4-5-6-7-8 or 138.123.5678"));
    assertTrue(PiiMasking.mayHoldNumber("555 123 4"));
    assertFalse(PiiMasking.mayHoldNumber("555 12x 4567"));
    assertFalse(PiiMasking.mayHoldNumber("{\"status\":429,\"latencyMs\":0.412,\"bytes\":187,\"client\":\"127.0.0.1:47406\"}"));
  }
}
