// Times fmkit's text pipeline on a CSV the way bench/peer_keras_tokenizer.py times Keras':
// Tokenizer::fit_on_texts + texts_to_sequences + pad_sequences (post truncation and padding).
//
// Usage: tokenizer_bench --data FILE [--text-column text] [--num-words 20000]
//                        [--oov-token "<OOV>"] [--maxlen 256] [--repeat 3] [--json]
//
// Throughput is the UTF-8 size of the text column in MB (10^6 bytes) divided by the time of the
// three calls (reading the CSV is excluded), best of --repeat runs, on one thread. The process
// CPU time of the same calls is reported too: on a loaded machine it is the steadier figure. The SHA-256 of
// the padded matrix (int64 little-endian, row-major) lets bench/run.sh check that fmkit and Keras
// produce the same matrix.

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
               "                       [--oov-token <OOV>] [--maxlen 256] [--repeat 3] [--json]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, text_column = "text", oov = "<OOV>";
  int64_t num_words = 20000, maxlen = 256;
  int repeat = 3;
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
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(next()));
    } else if (a == "--json") {
      json = true;
    } else {
      return usage();
    }
  }
  if (data.empty()) return usage();

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

    double best = -1, best_fit = 0, best_seq = 0, best_pad = 0, best_cpu = -1;
    fm::PaddedSequences padded;
    int64_t vocabulary = 0;
    for (int r = 0; r < repeat; ++r) {
      using clock = std::chrono::steady_clock;
      const double c0 = cpu_seconds();
      const auto t0 = clock::now();
      fm::Tokenizer tokenizer(topt);
      tokenizer.fit_on_texts(texts);
      const auto t1 = clock::now();
      const auto seqs = tokenizer.texts_to_sequences(texts);
      const auto t2 = clock::now();
      padded = fm::pad_sequences(seqs, popt);
      const auto t3 = clock::now();
      const double cpu = cpu_seconds() - c0;
      if (best_cpu < 0 || cpu < best_cpu) best_cpu = cpu;
      const double s = std::chrono::duration<double>(t3 - t0).count();
      if (best < 0 || s < best) {
        best = s;
        best_fit = std::chrono::duration<double>(t1 - t0).count();
        best_seq = std::chrono::duration<double>(t2 - t1).count();
        best_pad = std::chrono::duration<double>(t3 - t2).count();
      }
      vocabulary = static_cast<int64_t>(tokenizer.word_index().size());  // as Keras' len(word_index)
    }
    // The digest of the matrix as numpy's int64 little-endian bytes (x86/ARM hosts are
    // little-endian; the bench does not run elsewhere).
    const std::string digest = fm::sha256_hex(
        std::string_view(reinterpret_cast<const char*>(padded.values.data()),
                         padded.values.size() * sizeof(int64_t)));
    if (json) {
      std::printf(
          "{\"tool\": \"fmkit\", \"threads\": 1, \"rows\": %zu, \"megabytes\": %.6f, "
          "\"seconds\": %.6f, \"fit_seconds\": %.6f, \"sequences_seconds\": %.6f, "
          "\"padding_seconds\": %.6f, \"megabytes_per_second\": %.3f, \"cpu_seconds\": %.6f, "
          "\"megabytes_per_cpu_second\": %.3f, \"vocabulary\": %lld, "
          "\"shape\": [%lld, %lld], \"sha256\": \"%s\", \"data\": \"%s\"}\n",
          texts.size(), megabytes, best, best_fit, best_seq, best_pad, megabytes / best, best_cpu,
          megabytes / best_cpu, static_cast<long long>(vocabulary),
          static_cast<long long>(padded.rows), static_cast<long long>(padded.cols), digest.c_str(),
          json_escape(data).c_str());
    } else {
      std::printf("rows: %zu\nmegabytes: %.3f\nseconds: %.4f (fit %.4f, sequences %.4f, "
                  "padding %.4f)\nMB/s (1 thread): %.1f\ncpu seconds: %.4f (%.1f MB per CPU second)\n"
                  "vocabulary: %lld\nshape: [%lld, %lld]\n"
                  "sha256: %s\n",
                  texts.size(), megabytes, best, best_fit, best_seq, best_pad, megabytes / best,
                  best_cpu, megabytes / best_cpu, static_cast<long long>(vocabulary), static_cast<long long>(padded.rows),
                  static_cast<long long>(padded.cols), digest.c_str());
    }
  } catch (const fm::Error& e) {
    std::fprintf(stderr, "tokenizer_bench: error: %s\n", e.what());
    return 3;
  }
  return 0;
}
