package io.voicehelper.cluster.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The clients of {@link SseLatencyBenchmark}'s flood part, run as a process of their own (pinned to its own CPU) so
 * that their CPU is not taken from the node they measure: tenant A's flood and tenant B's sequential probe. Plain
 * sockets with keep-alive and only the JDK, so that the process costs little and starts fast. Arguments are
 * {@code key=value}:
 *
 * <ul>
 *   <li>{@code mode}: {@code paced} (open loop: {@code rate} requests/s on a fixed schedule over {@code connections}
 *       pipelined connections, whatever the answers take), {@code saturating} (closed loop: {@code connections}
 *       connections sending back to back) or {@code none} (the probe alone);
 *   <li>{@code url}, {@code rate}, {@code connections}: the flood's target and shape; its token is {@code FLOOD_TOKEN};
 *   <li>{@code probe}, {@code warmup}, {@code count}, {@code lead}: B's request (token {@code PROBE_TOKEN}), sent
 *       {@code warmup} times before the flood starts, then {@code count} times, one at a time, {@code lead} seconds
 *       after it started; the flood stops when the probe is done;
 *   <li>{@code seconds}: how long the flood lasts when there is no probe.
 * </ul>
 *
 * <p>Prints one JSON line on stdout: the flood's duration, requests sent, requests it could not send on schedule and
 * answers by status, and the probe's answers by status and latencies (ms) of its measured requests.
 */
public final class FloodGenerator {

  /** Requests sent and not yet answered on one paced connection before the schedule skips it. */
  static final int MAX_OUTSTANDING = 64;

  private FloodGenerator() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("expected key=value, got " + arg);
      options.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    String mode = options.getOrDefault("mode", "none");
    int count = Integer.parseInt(options.getOrDefault("count", "0"));
    Probe probe = count == 0 ? null : new Probe(new Endpoint(URI.create(options.get("probe")), env("PROBE_TOKEN")));
    if (probe != null) probe.run(Integer.parseInt(options.getOrDefault("warmup", "0")), null);

    Flood flood = switch (mode) {
      case "none" -> null;
      case "paced" -> new PacedFlood(endpoint(options), Integer.parseInt(options.get("connections")),
          Integer.parseInt(options.get("rate")));
      case "saturating" -> new SaturatingFlood(endpoint(options), Integer.parseInt(options.get("connections")));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    };
    long start = System.nanoTime();
    if (flood != null) flood.start();
    List<Double> latencies = new ArrayList<>();
    if (probe != null) {
      // Let the flood reach its pace (and the node its refusing state) before B is measured.
      double lead = Double.parseDouble(options.getOrDefault("lead", "1"));
      if (flood != null) TimeUnit.MILLISECONDS.sleep((long) (lead * 1000));
      probe.run(count, latencies);
    } else {
      TimeUnit.MILLISECONDS.sleep((long) (Double.parseDouble(options.getOrDefault("seconds", "10")) * 1000));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (flood != null) flood.stop();

    StringBuilder json = new StringBuilder("{\"mode\":\"").append(mode).append('"');
    if (flood != null) {
      json.append(String.format(Locale.ROOT, ",\"seconds\":%.3f,\"sent\":%d,\"unsent\":%d,\"statuses\":",
          seconds, flood.sent.sum(), flood.unsent.sum()));
      statuses(json, flood.statuses);
    }
    if (probe != null) {
      json.append(",\"probeStatuses\":");
      statuses(json, probe.statuses);
      json.append(",\"probeLatenciesMs\":[");
      for (int i = 0; i < latencies.size(); i++) {
        json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", latencies.get(i)));
      }
      json.append(']');
    }
    System.out.println(json.append('}'));
    System.exit(0);
  }

  private static Endpoint endpoint(Map<String, String> options) {
    return new Endpoint(URI.create(options.get("url")), env("FLOOD_TOKEN"));
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null) throw new IllegalArgumentException(name + " is not set");
    return value;
  }

  private static void statuses(StringBuilder json, Map<Integer, LongAdder> statuses) {
    Map<Integer, Long> sorted = new TreeMap<>();
    statuses.forEach((status, n) -> sorted.put(status, n.sum()));
    json.append('{');
    sorted.forEach((status, n) -> json.append(json.charAt(json.length() - 1) == '{' ? "" : ",")
        .append('"').append(status).append("\":").append(n));
    json.append('}');
  }

  private static void count(Map<Integer, LongAdder> statuses, int status) {
    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  /** Where requests go and the bytes of the one request sent there. */
  private record Endpoint(String host, int port, byte[] request) {
    Endpoint(URI uri, String token) {
      this(uri.getHost(), uri.getPort(), ("GET " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?"
          + uri.getRawQuery()) + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
          + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    Connection connect() throws IOException {
      return new Connection(this);
    }
  }

  /** One kept-alive HTTP/1.1 connection: writes the endpoint's request, reads answers and skips their bodies. */
  private static final class Connection implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] request;
    private final StringBuilder line = new StringBuilder();

    Connection(Endpoint endpoint) throws IOException {
      socket = new Socket(endpoint.host(), endpoint.port());
      socket.setTcpNoDelay(true);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      request = endpoint.request();
    }

    void send() throws IOException {
      out.write(request);
    }

    /** Reads one answer and returns its status. */
    int read() throws IOException {
      String status = line();
      int code = Integer.parseInt(status.substring(9, 12));
      long length = 0;
      boolean chunked = false;
      for (String header = line(); !header.isEmpty(); header = line()) {
        String name = header.substring(0, header.indexOf(':')).toLowerCase(Locale.ROOT);
        String value = header.substring(header.indexOf(':') + 1).strip();
        if (name.equals("content-length")) length = Long.parseLong(value);
        else if (name.equals("transfer-encoding")) chunked = value.equalsIgnoreCase("chunked");
        else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
          throw new IOException("the server closes the connection after " + status);
        }
      }
      if (!chunked) {
        skip(length);
        return code;
      }
      for (long size = Long.parseLong(line().split(";")[0].strip(), 16); size > 0;
          size = Long.parseLong(line().split(";")[0].strip(), 16)) {
        skip(size);
        line();
      }
      while (!line().isEmpty()) {
        // trailers
      }
      return code;
    }

    private String line() throws IOException {
      line.setLength(0);
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) throw new IOException("the server closed the connection");
        if (b != '\r') line.append((char) b);
      }
      return line.toString();
    }

    private void skip(long n) throws IOException {
      for (long left = n; left > 0; ) {
        long skipped = in.skip(left);
        if (skipped <= 0) {
          if (in.read() < 0) throw new IOException("the server closed the connection");
          skipped = 1;
        }
        left -= skipped;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Tenant B: one request at a time on one connection, each timed from its first byte sent to its last received. */
  private static final class Probe {
    private final Endpoint endpoint;
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();

    Probe(Endpoint endpoint) {
      this.endpoint = endpoint;
    }

    void run(int count, List<Double> latencies) throws IOException {
      try (Connection connection = endpoint.connect()) {
        for (int i = 0; i < count; i++) {
          long start = System.nanoTime();
          connection.send();
          int status = connection.read();
          double ms = (System.nanoTime() - start) / 1e6;
          count(statuses, status);
          if (latencies != null) latencies.add(ms);
        }
      }
    }
  }

  /** Tenant A: what its clients sent and how the server answered. */
  private abstract static class Flood {
    final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    final LongAdder sent = new LongAdder();
    final LongAdder unsent = new LongAdder();
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> threads = new ArrayList<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    abstract void start() throws IOException;

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread thread : threads) {
        thread.join(TimeUnit.SECONDS.toMillis(30));
        if (thread.isAlive()) throw new IllegalStateException("the flood did not stop: " + thread.getName());
      }
      if (failure.get() != null) throw new IllegalStateException("the flood failed", failure.get());
    }

    Thread thread(String name, Runnable body) {
      Thread thread = new Thread(body, name);
      thread.setDaemon(true);
      thread.setUncaughtExceptionHandler((t, e) -> failure.compareAndSet(null, e));
      threads.add(thread);
      return thread;
    }
  }

  /**
   * Open loop: one thread keeps the schedule and writes each request on the next connection in turn (pipelined), one
   * thread per connection reads the answers. A connection with {@value #MAX_OUTSTANDING} unanswered requests is
   * skipped and the request counted unsent, so that a server that falls behind shows up instead of slowing the
   * schedule.
   */
  private static final class PacedFlood extends Flood {
    private final Endpoint endpoint;
    private final int connections;
    private final int rate;

    PacedFlood(Endpoint endpoint, int connections, int rate) {
      this.endpoint = endpoint;
      this.connections = connections;
      this.rate = rate;
    }

    @Override
    void start() throws IOException {
      List<Connection> open = new ArrayList<>();
      List<AtomicInteger> outstanding = new ArrayList<>();
      AtomicBoolean reading = new AtomicBoolean(true);
      for (int c = 0; c < connections; c++) {
        Connection connection = endpoint.connect();
        AtomicInteger unanswered = new AtomicInteger();
        open.add(connection);
        outstanding.add(unanswered);
        thread("flood-reader-" + c, () -> {
          try {
            while (reading.get() || unanswered.get() > 0) {
              int status = connection.read();
              unanswered.decrementAndGet();
              count(statuses, status);
            }
          } catch (IOException e) {
            if (reading.get()) throw new IllegalStateException(e);
          }
        }).start();
      }
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      thread("flood-schedule", () -> {
        long next = System.nanoTime();
        try {
          for (int k = 0; running.get(); k++) {
            long wait = next - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            next += interval;
            int c = k % connections;
            if (outstanding.get(c).get() >= MAX_OUTSTANDING) {
              unsent.increment();
              continue;
            }
            outstanding.get(c).incrementAndGet();
            open.get(c).send();
            sent.increment();
          }
          // Wait for the answers to what was sent, then let the readers go.
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          while (outstanding.stream().anyMatch(o -> o.get() > 0) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          }
          reading.set(false);
          for (Connection connection : open) connection.close();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }).start();
    }
  }

  /** Closed loop: each connection sends its next request as soon as the previous one is answered. */
  private static final class SaturatingFlood extends Flood {
    private final Endpoint endpoint;
    private final int connections;

    SaturatingFlood(Endpoint endpoint, int connections) {
      this.endpoint = endpoint;
      this.connections = connections;
    }

    @Override
    void start() throws IOException {
      for (int c = 0; c < connections; c++) {
        Connection connection = endpoint.connect();
        thread("flood-" + c, () -> {
          try (connection) {
            while (running.get()) {
              connection.send();
              sent.increment();
              count(statuses, connection.read());
            }
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }).start();
      }
    }
  }
}
