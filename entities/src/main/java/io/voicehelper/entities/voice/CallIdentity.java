package io.voicehelper.entities.voice;

/**
 * Who is calling, as the edge authenticated them: the tenant comes only from the credential. {@code canWrite} is
 * whether they may add messages to conversations (a call is a conversation).
 */
public record CallIdentity(String tenantId, String userId, boolean canWrite, String remoteAddress) {}
