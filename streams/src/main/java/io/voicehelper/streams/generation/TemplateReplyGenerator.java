package io.voicehelper.streams.generation;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.streams.generation.internal.Texts;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded default when no model is configured: a clearly labelled template reply, not an answer. It says that
 * no language model is configured and how to configure one, quotes the user's message, and says that questions
 * about the documents are answered from the knowledge base (see the rag package). Chinese messages get a Chinese
 * reply. The text streams word by word (character by character for CJK) at a steady pace so that streaming clients
 * show it arriving.
 */
public final class TemplateReplyGenerator implements ReplyGenerator {

  /** The model name reported in {@link Finished}. */
  public static final String MODEL = "none (template)";
  public static final String LABEL_EN = "[No language model is configured]";
  public static final String LABEL_ZH = "【未配置语言模型】";

  private static final int QUOTE_LENGTH = 80;

  private final int tokensPerSecond;

  /** @param tokensPerSecond the pace of the streamed tokens; 0 streams them as fast as they are taken */
  public TemplateReplyGenerator(int tokensPerSecond) {
    if (tokensPerSecond < 0) throw new IllegalArgumentException("tokensPerSecond must be >= 0");
    this.tokensPerSecond = tokensPerSecond;
  }

  @Override
  public Source<Output, NotUsed> generate(Request request) {
    String text = reply(lastUserMessage(request.context()));
    Finished finished =
        new Finished(MODEL, Texts.contextTokens(request.context()), TokenEstimator.HEURISTIC.estimate(text));
    return Texts.streamed(text, tokensPerSecond).concat(Source.single(finished));
  }

  /** The template reply to {@code userMessage}, in Chinese when it contains Chinese characters. */
  public static String reply(String userMessage) {
    String quote = Texts.quote(userMessage, QUOTE_LENGTH);
    if (Texts.hasHan(userMessage)) {
      return LABEL_ZH + "我收到了您的消息：“" + (quote.isEmpty() ? "（空消息）" : quote) + "”。"
          + "当前没有配置语言模型，所以这是一条自动模板回复，并不是对您问题的回答。"
          + "管理员可以设置 OPENAI_BASE_URL（兼容 OpenAI 的接口地址，例如 https://api.openai.com/v1，"
          + "或 vLLM、Ollama 服务的 /v1 地址）、OPENAI_API_KEY 和 OPENAI_MODEL，然后重启服务来启用模型。"
          + "关于产品、政策和操作方法的问题，即使没有模型，也会从知识库文档中摘录答案并注明出处。";
    }
    return LABEL_EN + " I received your message: \"" + (quote.isEmpty() ? "(empty message)" : quote) + "\". "
        + "No language model is configured, so this is an automatic template reply, not an answer to your "
        + "question. An administrator can enable one by setting OPENAI_BASE_URL (an OpenAI-compatible endpoint "
        + "such as https://api.openai.com/v1, or the /v1 address of a vLLM or Ollama server), OPENAI_API_KEY and "
        + "OPENAI_MODEL, then restarting the service. Questions about products, policies and how-to are answered "
        + "from the knowledge base's documents, quoted with citations, even without a model.";
  }

  private static String lastUserMessage(List<ChatTurn> context) {
    for (int i = context.size() - 1; i >= 0; i--) {
      if (context.get(i).role() == ChatTurn.Role.USER) return context.get(i).content();
    }
    return "";
  }
}
