package io.voicehelper.streams.voice.engine;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the programs the process-based engines run. */
final class Programs {

  private Programs() {}

  /** {@code program} if it is an executable path, else the first executable of that name in {@code PATH}. */
  static Optional<Path> find(String program) {
    if (program.contains(File.separator)) {
      Path path = Path.of(program);
      return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
    }
    String searchPath = System.getenv().getOrDefault("PATH", "");
    for (String dir : searchPath.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) return Optional.of(candidate);
    }
    return Optional.empty();
  }
}
