package io.voicehelper.edge.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * An HTTP/1.1 client on a plain socket, for what {@code java.net.http} hides: when the client reads, and when it
 * drops the connection. Decodes a chunked server-sent-events body one event at a time.
 */
final class RawSse implements AutoCloseable {

  /** One server-sent event; {@code id} is null when the event has none. */
  record Event(String name, String id, String data) {}

  private final Socket socket;
  private final InputStream in;
  final int status;
  final Map<String, String> headers = new HashMap<>();
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private boolean ended;

  private RawSse(int port, String head, byte[] body, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer); // before connect, so the window stays small
    socket.setSoTimeout(15_000);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    OutputStream out = socket.getOutputStream();
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    in = socket.getInputStream();
    String statusLine = line();
    status = Integer.parseInt(statusLine.split(" ")[1]);
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      headers.put(header.substring(0, colon).trim().toLowerCase(), header.substring(colon + 1).trim());
    }
  }

  /** POSTs a JSON message asking for an event stream and reads the response head. */
  static RawSse postMessage(int port, String path, String json, int receiveBuffer, String... headerLines)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder extra = new StringBuilder();
    for (String h : headerLines) extra.append(h).append("\r\n");
    String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + extra
        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
    return new RawSse(port, head, body, receiveBuffer);
  }

  /** GETs a stream with the given extra header lines (each without CRLF) and reads the response head. */
  static RawSse get(int port, String path, String... headerLines) throws IOException {
    StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n");
    for (String h : headerLines) head.append(h).append("\r\n");
    head.append("\r\n");
    return new RawSse(port, head.toString(), new byte[0], 0);
  }

  String header(String name) {
    return headers.get(name.toLowerCase());
  }

  /** The next event (keep-alive comments skipped), or null when the stream ended. */
  Event nextEvent() throws IOException {
    while (true) {
      byte[] buffered = pending.toByteArray();
      int end = indexOfBlankLine(buffered);
      if (end >= 0) {
        String block = new String(buffered, 0, end, StandardCharsets.UTF_8);
        pending.reset();
        pending.write(buffered, end + 2, buffered.length - end - 2);
        Event event = parse(block);
        if (event != null) return event;
        continue;
      }
      if (ended || !readChunk()) return null;
    }
  }

  /** Reads until the server closes the connection; false if it is still open after {@code timeout}. */
  boolean drainUntilClosed(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] buffer = new byte[64 * 1024];
    socket.setSoTimeout(500);
    while (System.nanoTime() < deadline) {
      try {
        if (in.read(buffer) < 0) return true;
      } catch (SocketTimeoutException stillOpen) {
        // keep waiting
      } catch (IOException reset) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private boolean readChunk() throws IOException {
    String sizeLine = line();
    int semicolon = sizeLine.indexOf(';');
    int size = Integer.parseInt(semicolon < 0 ? sizeLine.trim() : sizeLine.substring(0, semicolon).trim(), 16);
    if (size == 0) {
      ended = true;
      return false;
    }
    pending.write(in.readNBytes(size));
    line(); // CRLF after the chunk
    return true;
  }

  private static int indexOfBlankLine(byte[] bytes) {
    for (int i = 0; i + 1 < bytes.length; i++) {
      if (bytes[i] == '\n' && bytes[i + 1] == '\n') return i;
    }
    return -1;
  }

  private static Event parse(String block) {
    String name = "message";
    String id = null;
    StringBuilder data = null;
    for (String line : block.split("\n")) {
      if (line.isEmpty() || line.startsWith(":")) continue;
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) value = value.substring(1);
      switch (field) {
        case "event" -> name = value;
        case "id" -> id = value;
        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
        default -> { }
      }
    }
    return data == null ? null : new Event(name, id, data.toString());
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') break;
      if (b != '\r') line.write(b);
    }
    if (b < 0 && line.size() == 0) throw new IOException("connection closed");
    return line.toString(StandardCharsets.UTF_8);
  }
}
