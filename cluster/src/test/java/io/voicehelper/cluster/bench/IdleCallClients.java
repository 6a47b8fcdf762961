package io.voicehelper.cluster.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The callers of {@link VoiceTurnBenchmark}'s idle-call parts, run as a process of their own so that their sockets
 * and heap are not counted in the node's: opens {@code count} voice calls ({@code start}, then the {@code started}
 * event) over java.net.http WebSockets, {@code parallel} handshakes at a time, and then sends nothing. Arguments are
 * {@code url count parallel}; the access token is {@code CALL_TOKEN} in the environment. It prints one JSON line when
 * the calls are open, then obeys its standard input: {@code hold S} waits S seconds and prints how many calls are
 * still open and how many got the server's keep-alive pings; {@code exit} (or the end of input) leaves.
 */
public final class IdleCallClients {

  private IdleCallClients() {}

  /** One idle call: the pings it got and whether it is still open. */
  private static final class Call implements WebSocket.Listener {
    final CompletableFuture<Void> started = new CompletableFuture<>();
    final AtomicInteger pings = new AtomicInteger();
    volatile boolean closed;
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        if (text.indexOf("\"type\":\"started\"") >= 0) started.complete(null);
        text.setLength(0);
      }
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
      // The JDK answers every ping with a pong by itself; this only counts them.
      pings.incrementAndGet();
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
      closed = true;
      started.completeExceptionally(new IllegalStateException("closed " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      closed = true;
      started.completeExceptionally(error);
    }
  }

  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    int count = Integer.parseInt(args[1]);
    int parallel = Integer.parseInt(args[2]);
    String token = System.getenv("CALL_TOKEN");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    Semaphore inFlight = new Semaphore(parallel);
    List<Call> calls = new ArrayList<>(count);
    List<WebSocket> sockets = java.util.Collections.synchronizedList(new ArrayList<>(count));
    AtomicInteger failed = new AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
    long begin = System.nanoTime();
    for (int i = 0; i < count; i++) {
      inFlight.acquire();
      Call call = new Call();
      calls.add(call);
      http.newWebSocketBuilder().subprotocols("voicehelper.v1", "bearer." + token).buildAsync(url, call)
          .thenCompose(socket -> {
            sockets.add(socket);
            return socket.sendText("{\"type\":\"start\",\"language\":\"en-US\"}", true);
          })
          .thenCompose(socket -> call.started)
          .orTimeout(60, TimeUnit.SECONDS)
          .whenComplete((ok, failure) -> {
            if (failure != null) {
              failed.incrementAndGet();
              firstFailure.compareAndSet(null, String.valueOf(failure));
            }
            inFlight.release();
          });
    }
    inFlight.acquire(parallel);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
    System.out.println(String.format(Locale.ROOT, "{\"opened\":%d,\"failed\":%d,\"millis\":%d,\"firstFailure\":%s}",
        count - failed.get(), failed.get(), millis, quoted(firstFailure.get())));
    System.out.flush();

    BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String command;
    while ((command = commands.readLine()) != null && !command.equals("exit")) {
      if (command.startsWith("hold ")) {
        int[] before = calls.stream().mapToInt(c -> c.pings.get()).toArray();
        // The point of the hold is wall-clock time passing with the sockets idle.
        TimeUnit.SECONDS.sleep(Long.parseLong(command.substring(5).strip()));
        int open = 0;
        int pinged = 0;
        for (int i = 0; i < calls.size(); i++) {
          Call call = calls.get(i);
          if (call.started.isDone() && !call.started.isCompletedExceptionally() && !call.closed) {
            open++;
            if (call.pings.get() > before[i]) pinged++;
          }
        }
        System.out.println(String.format(Locale.ROOT, "{\"open\":%d,\"pinged\":%d}", open, pinged));
        System.out.flush();
      }
    }
    for (WebSocket socket : sockets) socket.abort();
    System.exit(0);
  }

  private static String quoted(String text) {
    if (text == null) return "null";
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }
}
