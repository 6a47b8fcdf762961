package io.voicehelper.streams.voice.engine.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Re-frames audio of any chunk sizes into chunks of exactly {@code size} bytes (the last one may be shorter). */
public final class PcmChunks {

  private PcmChunks() {}

  public static Flow<ByteString, ByteString, NotUsed> of(int size) {
    return Flow.<ByteString, ByteString, NotUsed>fromMaterializer((materializer, attributes) -> {
          ByteString[] pending = {ByteString.emptyByteString()};
          return Flow.<ByteString>create()
              .mapConcat(bytes -> {
                ByteString all = pending[0].concat(bytes);
                List<ByteString> out = new ArrayList<>();
                while (all.size() >= size) {
                  out.add(all.take(size));
                  all = all.drop(size);
                }
                pending[0] = all;
                return out;
              })
              .concatLazy(Source.lazySingle(() -> pending[0]).filter(rest -> !rest.isEmpty()));
        })
        .mapMaterializedValue(started -> NotUsed.notUsed());
  }
}
