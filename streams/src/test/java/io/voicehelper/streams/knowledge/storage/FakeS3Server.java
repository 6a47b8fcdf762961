package io.voicehelper.streams.knowledge.storage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A loopback S3 server speaking the REST API the way the AWS SDK v2 sends it with path-style addressing
 * ({@code http://127.0.0.1:port/bucket/key}): PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, GetObject, HeadObject, DeleteObject, ListObjectsV2 (with {@code encoding-type=url} and
 * continuation tokens) and DeleteObjects, answered with S3's XML, ETags and error bodies. One bucket, in memory.
 *
 * <p>Upload bodies are accepted both plain (checked against a hex {@code x-amz-content-sha256}) and in the
 * {@code aws-chunked} format the SDK uses for signed streaming over HTTP ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}:
 * {@code <hex size>;chunk-signature=<sig>\r\n<bytes>\r\n ... 0;chunk-signature=<sig>\r\n[trailers]\r\n}), decoded and
 * checked against {@code x-amz-decoded-content-length}. Signatures are not verified.
 *
 * <p>Faults are injected per operation: an S3 error status for chosen calls, or a response that never comes.
 */
final class FakeS3Server implements AutoCloseable {

  /** The operations, as S3 names them. */
  enum Operation {
    PUT_OBJECT, CREATE_MULTIPART_UPLOAD, UPLOAD_PART, COMPLETE_MULTIPART_UPLOAD, ABORT_MULTIPART_UPLOAD, GET_OBJECT,
    HEAD_OBJECT, DELETE_OBJECT, LIST_OBJECTS_V2, DELETE_OBJECTS, UNKNOWN
  }

  /** A request as the server saw it. */
  record Recorded(Operation operation, String key, Map<String, String> query, String contentSha256,
      String contentEncoding, int bodyBytes) {}

  /** A stored object. */
  record StoredObject(byte[] data, String etag) {}

  private record MultipartUpload(String key, NavigableMap<Integer, StoredObject> parts) {}

  /** Answers calls {@code from}..{@code from + times - 1} (0-based) of an operation with a fault. */
  private record Fault(Operation operation, int from, int times, int status, String code, boolean hang) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final String bucket;
  private final NavigableMap<String, StoredObject> objects = new ConcurrentSkipListMap<>();
  private final Map<String, MultipartUpload> uploads = new ConcurrentHashMap<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Map<Operation, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final CountDownLatch released = new CountDownLatch(1);

  FakeS3Server(String bucket) throws IOException {
    this.bucket = bucket;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Answers calls {@code from}.. ({@code times} of them, 0-based) of {@code operation} with an S3 error. */
  void fail(Operation operation, int from, int times, int status, String code) {
    faults.add(new Fault(operation, from, times, status, code, false));
  }

  /** Never answers calls {@code from}.. ({@code times} of them) of {@code operation} (until {@link #close()}). */
  void hang(Operation operation, int from, int times) {
    faults.add(new Fault(operation, from, times, 0, "", true));
  }

  Map<String, StoredObject> objects() {
    return objects;
  }

  /** Multipart uploads begun and neither completed nor aborted. */
  int pendingUploads() {
    return uploads.size();
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  List<Recorded> requests(Operation operation) {
    return requests.stream().filter(r -> r.operation() == operation).toList();
  }

  /** Stores an object directly, as if another client had put it. */
  void putDirectly(String key, byte[] data) {
    objects.put(key, new StoredObject(data, quoted(md5Hex(data))));
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      String prefix = "/" + bucket;
      if (!path.equals(prefix) && !path.startsWith(prefix + "/")) {
        error(exchange, 404, "NoSuchBucket", "The specified bucket does not exist");
        return;
      }
      String key = path.length() > prefix.length() + 1 ? path.substring(prefix.length() + 1) : "";
      Operation operation = operation(method, key, query);
      byte[] body = body(exchange);
      requests.add(new Recorded(operation, key, query,
          exchange.getRequestHeaders().getFirst("x-amz-content-sha256"),
          exchange.getRequestHeaders().getFirst("Content-Encoding"), body.length));
      int call = calls.computeIfAbsent(operation, o -> new AtomicInteger()).getAndIncrement();
      for (Fault fault : faults) {
        if (fault.operation() == operation && call >= fault.from() && call - fault.from() < fault.times()) {
          if (fault.hang()) {
            released.await(60, TimeUnit.SECONDS);
            return;
          }
          error(exchange, fault.status(), fault.code(), "injected fault");
          return;
        }
      }
      answer(exchange, operation, key, query, body);
    } catch (BadRequest e) {
      error(exchange, e.status, e.code, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      error(exchange, 500, "InternalError", String.valueOf(e));
    }
  }

  private static Operation operation(String method, String key, Map<String, String> query) {
    if (key.isEmpty()) {
      if (method.equals("GET") && "2".equals(query.get("list-type"))) return Operation.LIST_OBJECTS_V2;
      if (method.equals("POST") && query.containsKey("delete")) return Operation.DELETE_OBJECTS;
      return Operation.UNKNOWN;
    }
    switch (method) {
      case "PUT":
        return query.containsKey("uploadId") ? Operation.UPLOAD_PART : Operation.PUT_OBJECT;
      case "POST":
        if (query.containsKey("uploads")) return Operation.CREATE_MULTIPART_UPLOAD;
        return query.containsKey("uploadId") ? Operation.COMPLETE_MULTIPART_UPLOAD : Operation.UNKNOWN;
      case "DELETE":
        return query.containsKey("uploadId") ? Operation.ABORT_MULTIPART_UPLOAD : Operation.DELETE_OBJECT;
      case "GET":
        return Operation.GET_OBJECT;
      case "HEAD":
        return Operation.HEAD_OBJECT;
      default:
        return Operation.UNKNOWN;
    }
  }

  private void answer(HttpExchange exchange, Operation operation, String key, Map<String, String> query, byte[] body)
      throws Exception {
    switch (operation) {
      case PUT_OBJECT -> {
        StoredObject stored = new StoredObject(body, quoted(md5Hex(body)));
        objects.put(key, stored);
        exchange.getResponseHeaders().set("ETag", stored.etag());
        empty(exchange, 200);
      }
      case CREATE_MULTIPART_UPLOAD -> {
        String uploadId = UUID.randomUUID().toString().replace("-", "");
        uploads.put(uploadId, new MultipartUpload(key, new ConcurrentSkipListMap<>()));
        xml(exchange, 200, "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            + "<Bucket>" + escape(bucket) + "</Bucket><Key>" + escape(key) + "</Key><UploadId>" + uploadId
            + "</UploadId></InitiateMultipartUploadResult>");
      }
      case UPLOAD_PART -> {
        MultipartUpload upload = upload(key, query);
        int number = Integer.parseInt(query.get("partNumber"));
        if (number < 1 || number > 10_000) throw new BadRequest("InvalidArgument", "part number out of range");
        StoredObject part = new StoredObject(body, quoted(md5Hex(body)));
        upload.parts().put(number, part);
        exchange.getResponseHeaders().set("ETag", part.etag());
        empty(exchange, 200);
      }
      case COMPLETE_MULTIPART_UPLOAD -> complete(exchange, key, query, body);
      case ABORT_MULTIPART_UPLOAD -> {
        upload(key, query);
        uploads.remove(query.get("uploadId"));
        empty(exchange, 204);
      }
      case GET_OBJECT, HEAD_OBJECT -> {
        StoredObject stored = objects.get(key);
        if (stored == null) {
          if (operation == Operation.HEAD_OBJECT) {
            exchange.sendResponseHeaders(404, -1);
          } else {
            error(exchange, 404, "NoSuchKey", "The specified key does not exist.");
          }
          return;
        }
        exchange.getResponseHeaders().set("ETag", stored.etag());
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.getResponseHeaders().set("Last-Modified", "Tue, 02 Dec 2025 12:00:00 GMT");
        if (operation == Operation.HEAD_OBJECT) {
          exchange.getResponseHeaders().set("Content-Length", String.valueOf(stored.data().length));
          exchange.sendResponseHeaders(200, -1);
          return;
        }
        exchange.sendResponseHeaders(200, stored.data().length == 0 ? -1 : stored.data().length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(stored.data());
        }
      }
      case DELETE_OBJECT -> {
        objects.remove(key);
        empty(exchange, 204);
      }
      case LIST_OBJECTS_V2 -> list(exchange, query);
      case DELETE_OBJECTS -> deleteObjects(exchange, body);
      case UNKNOWN -> error(exchange, 501, "NotImplemented", "not implemented by the fake");
    }
  }

  private MultipartUpload upload(String key, Map<String, String> query) throws BadRequest {
    MultipartUpload upload = uploads.get(query.get("uploadId"));
    if (upload == null || !upload.key().equals(key)) {
      throw new BadRequest("NoSuchUpload", "The specified upload does not exist.", 404);
    }
    return upload;
  }

  private void complete(HttpExchange exchange, String key, Map<String, String> query, byte[] body)
      throws Exception {
    MultipartUpload upload = upload(key, query);
    Document document = parse(body);
    NodeList partElements = document.getElementsByTagName("Part");
    if (partElements.getLength() == 0) throw new BadRequest("MalformedXML", "no parts");
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    ByteArrayOutputStream md5s = new ByteArrayOutputStream();
    int previous = 0;
    for (int i = 0; i < partElements.getLength(); i++) {
      Element element = (Element) partElements.item(i);
      int number = Integer.parseInt(text(element, "PartNumber"));
      String etag = text(element, "ETag");
      StoredObject part = upload.parts().get(number);
      if (number <= previous) throw new BadRequest("InvalidPartOrder", "parts must be in ascending order");
      if (part == null || !part.etag().equals(etag)) throw new BadRequest("InvalidPart", "unknown part " + number);
      if (i < partElements.getLength() - 1 && part.data().length < ObjectStoreSettings.MIN_PART_SIZE) {
        throw new BadRequest("EntityTooSmall", "part " + number + " is smaller than 5 MiB");
      }
      previous = number;
      content.write(part.data());
      md5s.write(HexFormat.of().parseHex(part.etag().replace("\"", "")));
    }
    String etag = quoted(md5Hex(md5s.toByteArray()) + "-" + partElements.getLength());
    objects.put(key, new StoredObject(content.toByteArray(), etag));
    uploads.remove(query.get("uploadId"));
    xml(exchange, 200, "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        + "<Location>" + escape(endpoint() + "/" + bucket + "/" + key) + "</Location><Bucket>" + escape(bucket)
        + "</Bucket><Key>" + escape(key) + "</Key><ETag>" + escape(etag) + "</ETag></CompleteMultipartUploadResult>");
  }

  private void list(HttpExchange exchange, Map<String, String> query) throws IOException {
    String prefix = query.getOrDefault("prefix", "");
    int maxKeys = Integer.parseInt(query.getOrDefault("max-keys", "1000"));
    boolean urlEncoded = "url".equals(query.get("encoding-type"));
    String after = query.containsKey("continuation-token")
        ? new String(Base64.getUrlDecoder().decode(query.get("continuation-token")), StandardCharsets.UTF_8)
        : query.getOrDefault("start-after", "");
    List<Map.Entry<String, StoredObject>> page = new ArrayList<>();
    boolean truncated = false;
    for (Map.Entry<String, StoredObject> entry : objects.tailMap(after, false).entrySet()) {
      if (!entry.getKey().startsWith(prefix)) continue;
      if (page.size() == maxKeys) {
        truncated = true;
        break;
      }
      page.add(entry);
    }
    StringBuilder xml = new StringBuilder("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
        .append("<Name>").append(escape(bucket)).append("</Name>")
        .append("<Prefix>").append(escape(urlEncoded ? urlEncode(prefix) : prefix)).append("</Prefix>")
        .append("<KeyCount>").append(page.size()).append("</KeyCount>")
        .append("<MaxKeys>").append(maxKeys).append("</MaxKeys>")
        .append(urlEncoded ? "<EncodingType>url</EncodingType>" : "")
        .append("<IsTruncated>").append(truncated).append("</IsTruncated>");
    for (Map.Entry<String, StoredObject> entry : page) {
      xml.append("<Contents><Key>").append(escape(urlEncoded ? urlEncode(entry.getKey()) : entry.getKey()))
          .append("</Key><LastModified>").append(Instant.parse("2025-12-02T12:00:00Z"))
          .append("</LastModified><ETag>").append(escape(entry.getValue().etag()))
          .append("</ETag><Size>").append(entry.getValue().data().length)
          .append("</Size><StorageClass>STANDARD</StorageClass></Contents>");
    }
    if (truncated) {
      String last = page.get(page.size() - 1).getKey();
      xml.append("<NextContinuationToken>")
          .append(Base64.getUrlEncoder().encodeToString(last.getBytes(StandardCharsets.UTF_8)))
          .append("</NextContinuationToken>");
    }
    if (query.containsKey("continuation-token")) {
      xml.append("<ContinuationToken>").append(escape(query.get("continuation-token"))).append("</ContinuationToken>");
    }
    xml(exchange, 200, xml.append("</ListBucketResult>").toString());
  }

  private void deleteObjects(HttpExchange exchange, byte[] body) throws Exception {
    Document document = parse(body);
    NodeList objectElements = document.getElementsByTagName("Object");
    if (objectElements.getLength() > 1000) throw new BadRequest("MalformedXML", "more than 1000 keys");
    boolean quiet = "true".equals(textOrNull(document.getDocumentElement(), "Quiet"));
    StringBuilder xml = new StringBuilder("<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < objectElements.getLength(); i++) {
      String key = text((Element) objectElements.item(i), "Key");
      objects.remove(key);
      if (!quiet) xml.append("<Deleted><Key>").append(escape(key)).append("</Key></Deleted>");
    }
    xml(exchange, 200, xml.append("</DeleteResult>").toString());
  }

  /** The request body, decoded from {@code aws-chunked} when the SDK streamed it that way. */
  private static byte[] body(HttpExchange exchange) throws IOException, BadRequest {
    byte[] raw;
    try (InputStream in = exchange.getRequestBody()) {
      raw = in.readAllBytes();
    }
    String contentSha256 = exchange.getRequestHeaders().getFirst("x-amz-content-sha256");
    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
    boolean chunked = (contentSha256 != null && contentSha256.startsWith("STREAMING-"))
        || (encoding != null && encoding.contains("aws-chunked"));
    if (!chunked) {
      if (contentSha256 != null && contentSha256.matches("[0-9a-f]{64}") && !contentSha256.equals(sha256Hex(raw))) {
        throw new BadRequest("XAmzContentSHA256Mismatch", "body does not match x-amz-content-sha256");
      }
      return raw;
    }
    byte[] decoded = decodeAwsChunked(raw);
    String declared = exchange.getRequestHeaders().getFirst("x-amz-decoded-content-length");
    if (declared != null && Long.parseLong(declared) != decoded.length) {
      throw new BadRequest("IncompleteBody", "decoded " + decoded.length + " bytes, declared " + declared);
    }
    return decoded;
  }

  static byte[] decodeAwsChunked(byte[] raw) throws BadRequest {
    ByteArrayInputStream in = new ByteArrayInputStream(raw);
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
    while (true) {
      String header = line(in);
      if (header == null) throw new BadRequest("IncompleteBody", "aws-chunked body ends without a last chunk");
      int semicolon = header.indexOf(';');
      int size = Integer.parseInt((semicolon < 0 ? header : header.substring(0, semicolon)).strip(), 16);
      if (size == 0) break;
      byte[] chunk = new byte[Math.min(size, in.available())];
      in.read(chunk, 0, chunk.length);
      if (chunk.length != size || in.read() != '\r' || in.read() != '\n') {
        throw new BadRequest("IncompleteBody", "aws-chunked chunk shorter than its size");
      }
      out.writeBytes(chunk);
    }
    for (String trailer = line(in); trailer != null && !trailer.isEmpty(); trailer = line(in)) {
      // trailing checksums (x-amz-checksum-crc32:...), then an empty line
    }
    return out.toByteArray();
  }

  private static String line(ByteArrayInputStream in) {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\r') {
        in.read();
        return line.toString(StandardCharsets.UTF_8);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) return query;
    for (String pair : raw.split("&")) {
      int equals = pair.indexOf('=');
      String name = decode(equals < 0 ? pair : pair.substring(0, equals));
      query.put(name, equals < 0 ? "" : decode(pair.substring(equals + 1)));
    }
    return query;
  }

  private static String decode(String encoded) {
    return URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String urlEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  private static String text(Element parent, String name) throws BadRequest {
    String text = textOrNull(parent, name);
    if (text == null) throw new BadRequest("MalformedXML", "missing " + name);
    return text;
  }

  private static String textOrNull(Element parent, String name) {
    NodeList nodes = parent.getElementsByTagName(name);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().strip();
  }

  private static void xml(HttpExchange exchange, int status, String xml) throws IOException {
    byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/xml");
    exchange.getResponseHeaders().set("x-amz-request-id", "fake-" + UUID.randomUUID());
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void empty(HttpExchange exchange, int status) throws IOException {
    exchange.getResponseHeaders().set("x-amz-request-id", "fake-" + UUID.randomUUID());
    exchange.sendResponseHeaders(status, -1);
  }

  private static void error(HttpExchange exchange, int status, String code, String message) {
    try {
      xml(exchange, status, "<Error><Code>" + escape(code) + "</Code><Message>" + escape(message)
          + "</Message><RequestId>fake</RequestId></Error>");
    } catch (IOException ignored) {
      // the client went away
    }
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String quoted(String text) {
    return "\"" + text + "\"";
  }

  static String md5Hex(byte[] data) {
    return hex("MD5", data);
  }

  static String sha256Hex(byte[] data) {
    return hex("SHA-256", data);
  }

  private static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A request S3 would refuse, with its error code. */
  static final class BadRequest extends Exception {
    final String code;
    final int status;

    BadRequest(String code, String message) {
      this(code, message, 400);
    }

    BadRequest(String code, String message, int status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }
}
