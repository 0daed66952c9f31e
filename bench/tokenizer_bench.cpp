// Times fmkit's text pipeline on a CSV the way bench/peer_keras_tokenizer.py times Keras'
// Tokenizer.fit_on_texts + texts_to_sequences + pad_sequences (post truncation and padding), in
// two ways:
//   - "calls": the same three calls, one thread (Keras' shape of the work: every text is
//     tokenized twice);
//   - "pipeline": what fm-train does — Tokenizer::fit_transform (each text tokenized once) and
//     pad_sequences over the flat result, on --threads threads.
//
// Usage: tokenizer_bench --data FILE [--text-column text] [--num-words 20000]
//                        [--oov-token "<OOV>"] [--maxlen 256] [--threads 1] [--repeat 3] [--json]
//
// Throughput is the UTF-8 size of the text column in MB (10^6 bytes) divided by the time of the
// calls (reading the CSV is excluded), best of --repeat runs. The process CPU time of the same
// calls is reported too (MB per CPU-second = per-thread throughput). The SHA-256 of the padded
// matrix (int64 little-endian, row-major) lets bench/run.sh check that fmkit and Keras produce
// the same matrix; the bench fails when the two ways disagree.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "fm/data/csv.h"
#include "fm/error.h"
#include "fm/io/files.h"
#include "fm/io/memory.h"
#include "fm/text/padding.h"
#include "fm/text/tokenizer.h"

namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

int usage() {
  std::fprintf(stderr,
               "usage: tokenizer_bench --data FILE [--text-column text] [--num-words 20000]\n"
               "                       [--oov-token <OOV>] [--maxlen 256] [--threads 1] [--repeat 3]\n"
               "                       [--json]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, text_column = "text", oov = "<OOV>";
  int64_t num_words = 20000, maxlen = 256;
  int repeat = 3;
  int threads = 1;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tokenizer_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") {
      data = next();
    } else if (a == "--text-column") {
      text_column = next();
    } else if (a == "--num-words") {
      num_words = std::atoll(next());
    } else if (a == "--oov-token") {
      oov = next();
    } else if (a == "--maxlen") {
      maxlen = std::atoll(next());
    } else if (a == "--threads") {
      threads = std::max(1, std::atoi(next()));
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(next()));
    } else if (a == "--json") {
      json = true;
    } else {
      return usage();
    }
  }
  if (data.empty()) return usage();
  fm::keep_freed_memory();  // as fm-train does (src/runs/runtime.cpp)

  try {
    const fm::CsvTable table = fm::read_csv_table(data);
    const std::size_t column = fm::csv_column_index(table, text_column);
    std::vector<std::string> texts;
    texts.reserve(table.rows.size());
    double bytes = 0;
    for (const auto& row : table.rows) {
      texts.push_back(row[column]);
      bytes += static_cast<double>(row[column].size());
    }
    const double megabytes = bytes / 1e6;

    fm::TokenizerOptions topt;
    topt.num_words = num_words;
    topt.oov_token = oov;
    topt.lower = true;
    fm::PaddingOptions popt;
    popt.maxlen = maxlen;
    popt.padding = fm::PadSide::kPost;
    popt.truncating = fm::PadSide::kPost;

    using clock = std::chrono::steady_clock;
    auto seconds = [](clock::time_point a, clock::time_point b) {
      return std::chrono::duration<double>(b - a).count();
    };
    // Best-of-repeat wall and CPU seconds of one way of producing the padded matrix.
    struct Timing {
      double wall = -1, cpu = -1, fit = 0, sequences = 0, padding = 0;
      std::string digest;
    };
    int64_t vocabulary = 0, rows = 0, cols = 0;
    auto time_it = [&](auto&& produce) {
      Timing best;
      for (int r = 0; r < repeat; ++r) {
        const double c0 = cpu_seconds();
        double parts[3] = {0, 0, 0};
        const fm::PaddedSequences padded = produce(parts);
        const double cpu = cpu_seconds() - c0;
        const double wall = parts[0] + parts[1] + parts[2];
        if (best.cpu < 0 || cpu < best.cpu) best.cpu = cpu;
        if (best.wall < 0 || wall < best.wall) {
          best.wall = wall;
          best.fit = parts[0];
          best.sequences = parts[1];
          best.padding = parts[2];
        }
        // The digest of the matrix as numpy's int64 little-endian bytes (x86/ARM hosts are
        // little-endian; the bench does not run elsewhere).
        best.digest = fm::sha256_hex(
            std::string_view(reinterpret_cast<const char*>(padded.values.data()),
                             padded.values.size() * sizeof(int64_t)));
        rows = padded.rows;
        cols = padded.cols;
      }
      return best;
    };
    const Timing calls = time_it([&](double* parts) {
      const auto t0 = clock::now();
      fm::Tokenizer tokenizer(topt);
      tokenizer.fit_on_texts(texts);
      const auto t1 = clock::now();
      const auto seqs = tokenizer.texts_to_sequences(texts);
      const auto t2 = clock::now();
      fm::PaddedSequences padded = fm::pad_sequences(seqs, popt);
      const auto t3 = clock::now();
      parts[0] = seconds(t0, t1), parts[1] = seconds(t1, t2), parts[2] = seconds(t2, t3);
      vocabulary = static_cast<int64_t>(tokenizer.word_index().size());  // Keras' len(word_index)
      return padded;
    });
    const Timing pipeline = time_it([&](double* parts) {
      const auto t0 = clock::now();
      fm::Tokenizer tokenizer(topt);
      const fm::FlatSequences seqs = tokenizer.fit_transform(texts, threads);
      const auto t1 = clock::now();
      fm::PaddedSequences padded = fm::pad_flat_sequences(seqs, popt, threads);
      const auto t2 = clock::now();
      parts[0] = seconds(t0, t1), parts[2] = seconds(t1, t2);
      return padded;
    });
    if (calls.digest != pipeline.digest) {
      std::fprintf(stderr, "tokenizer_bench: fit_transform (%d threads) and the three calls "
                           "produce different matrices\n", threads);
      return 1;
    }
    if (json) {
      std::printf(
          "{\"tool\": \"fmkit\", \"rows\": %zu, \"megabytes\": %.6f, \"vocabulary\": %lld, "
          "\"shape\": [%lld, %lld], \"sha256\": \"%s\", \"data\": \"%s\",\n"
          " \"calls\": {\"threads\": 1, \"seconds\": %.6f, \"fit_seconds\": %.6f, "
          "\"sequences_seconds\": %.6f, \"padding_seconds\": %.6f, \"megabytes_per_second\": %.3f, "
          "\"cpu_seconds\": %.6f, \"megabytes_per_cpu_second\": %.3f},\n"
          " \"pipeline\": {\"threads\": %d, \"seconds\": %.6f, \"fit_transform_seconds\": %.6f, "
          "\"padding_seconds\": %.6f, \"megabytes_per_second\": %.3f, \"cpu_seconds\": %.6f, "
          "\"megabytes_per_cpu_second\": %.3f}}\n",
          texts.size(), megabytes, static_cast<long long>(vocabulary),
          static_cast<long long>(rows), static_cast<long long>(cols), calls.digest.c_str(),
          json_escape(data).c_str(), calls.wall, calls.fit, calls.sequences, calls.padding,
          megabytes / calls.wall, calls.cpu, megabytes / calls.cpu, threads, pipeline.wall,
          pipeline.fit, pipeline.padding, megabytes / pipeline.wall, pipeline.cpu,
          megabytes / pipeline.cpu);
    } else {
      std::printf("rows: %zu\nmegabytes: %.3f\nvocabulary: %lld\nshape: [%lld, %lld]\nsha256: %s\n"
                  "three calls, 1 thread: %.4f s (fit %.4f, sequences %.4f, padding %.4f) = "
                  "%.1f MB/s; %.1f MB per CPU second\n"
                  "fit_transform + pad, %d thread(s): %.4f s (fit_transform %.4f, padding %.4f) = "
                  "%.1f MB/s; %.1f MB per CPU second\n",
                  texts.size(), megabytes, static_cast<long long>(vocabulary),
                  static_cast<long long>(rows), static_cast<long long>(cols),
                  calls.digest.c_str(), calls.wall, calls.fit, calls.sequences, calls.padding,
                  megabytes / calls.wall, megabytes / calls.cpu, threads, pipeline.wall,
                  pipeline.fit, pipeline.padding, megabytes / pipeline.wall,
                  megabytes / pipeline.cpu);
    }
  } catch (const fm::Error& e) {
    std::fprintf(stderr, "tokenizer_bench: error: %s\n", e.what());
    return 3;
  }
  return 0;
}
