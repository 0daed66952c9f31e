#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fm/data/dataset.h"
#include "fm/error.h"
#include "fm/data/redaction.h"
#include "fm/text/redact.h"
#include "fm/text/tokenizer.h"

namespace {

using fm::PiiType;
using fm::RedactionCounts;
using fm::Redactor;
using fm::RedactorOptions;

// Luhn validity of every card number below was checked independently (Python, by the textbook
// algorithm): 4111111111111111, 5500000000000004, 378282246310005, 6011111111111117 and
// 041234567890120 pass; 4111111111111112, 411111111111111112 and 9783161484100 fail.

std::string redact(const std::string& text) {
  static const Redactor redactor;
  return redactor.redact(text);
}

Redactor only(PiiType type) {
  RedactorOptions options;
  options.types = {type};
  return Redactor(options);
}

TEST(Redact, Emails) {
  EXPECT_EQ(redact("Contact john.doe+tag@example.co.uk."), "Contact <EMAIL>.");
  EXPECT_EQ(redact("<jane_o-neil@mail.example-host.org>"), "<<EMAIL>>");
  EXPECT_EQ(redact("mailto:x%y@sub.domain.io, thanks"), "mailto:<EMAIL>, thanks");
  EXPECT_EQ(redact("'john@example.com' or \"ann@x.de\""), "'<EMAIL>' or \"<EMAIL>\"");
  // No top-level domain, or a numeric one: not an address.
  EXPECT_EQ(redact("user@localhost and a@b.c0m"), "user@localhost and a@b.c0m");
  EXPECT_EQ(redact("@handle and foo@ bar"), "@handle and foo@ bar");
}

TEST(Redact, Urls) {
  EXPECT_EQ(redact("see https://example.com/a?b=1&c=%20, or www.test.org."),
            "see <URL>, or <URL>.");
  EXPECT_EQ(redact("HTTP://EXAMPLE.COM/X and ftp://files.example.net/pub/"), "<URL> and <URL>");
  // A closing parenthesis belongs to the URL only when the URL opened one.
  EXPECT_EQ(redact("(https://en.wikipedia.org/wiki/Foo_(bar))"), "(<URL>)");
  EXPECT_EQ(redact("(see http://x.org/page)!"), "(see <URL>)!");
  // Credentials inside a URL go with it: the URL starts first.
  EXPECT_EQ(redact("http://user:pw@host.example.com/path"), "<URL>");
  EXPECT_EQ(redact("awww.example.com http:// www."), "awww.example.com http:// www.");
}

TEST(Redact, PhoneNumbers) {
  EXPECT_EQ(redact("call +1 (555) 123-4567 now"), "call <PHONE> now");
  EXPECT_EQ(redact("555-123-4567; (555) 123-4567; 555.123.4567"), "<PHONE>; <PHONE>; <PHONE>");
  EXPECT_EQ(redact("1-800-555-1234"), "<PHONE>");
  EXPECT_EQ(redact("+44 20 7946 0958 or +44 (0)20 7946 0958"), "<PHONE> or <PHONE>");
  EXPECT_EQ(redact("Tel. 030 1234567, 030/1234567, (030) 1234567"),
            "Tel. <PHONE>, <PHONE>, <PHONE>");
  EXPECT_EQ(redact("06 12 34 56 78"), "<PHONE>");
  EXPECT_EQ(redact("+4930123456"), "<PHONE>");
  // Cut back to where the number visibly ends, leaving the next number to its own pattern.
  EXPECT_EQ(redact("+1 555-123-4567 10.0.0.1"), "<PHONE> <IP>");
  EXPECT_EQ(redact("555-123-4567.5"), "555-123-4567.5");
}

TEST(Redact, NotPhoneNumbers) {
  // Years, short numbers, bare digit strings, dates, prices, times and ranges stay.
  const std::vector<std::string> kept = {
      "in 1999 and 2024",      "call 911 or 112", "order 1234567",    "id 5551234567",
      "on 01.02.2024",         "on 2024-01-15",   "on 15/01/2024",    "on 01/02/2024",
      "on 01-02-24",           "$1,234,567.89",   "EUR 1.234.567,00", "1 234 567 people",
      "at 10:30:45",           "pages 100-2000",  "0.99 each",        "a+49301234567",
      "Apollo 11, 1969-07-20", "open 0800-1700",  "SSN 123-45-6789"};
  for (const auto& text : kept) EXPECT_EQ(redact(text), text) << text;
}

TEST(Redact, Ipv4) {
  EXPECT_EQ(redact("from 192.168.0.1 and 8.8.8.8."), "from <IP> and <IP>.");
  EXPECT_EQ(redact("255.255.255.255 0.0.0.0"), "<IP> <IP>");
  // Octet 256, leading zeros, too few or too many parts, versions and outline numbers.
  const std::vector<std::string> kept = {"10.0.0.256", "192.168.01.1", "1.2.3",
                                         "v1.2.3.4.5", "1.2.3.4.5",    "10.1.2.3.4",
                                         "x1.2.3.4",   "1.2.3.4x",     "300.1.1.1"};
  for (const auto& text : kept) EXPECT_EQ(redact(text), text) << text;
}

TEST(Redact, Ipv6) {
  EXPECT_EQ(redact("2001:0db8:85a3:0000:0000:8a2e:0370:7334"), "<IP>");
  EXPECT_EQ(redact("fe80::1, ::1 and 2001:db8::8a2e:370:7334"), "<IP>, <IP> and <IP>");
  EXPECT_EQ(redact("[2001:db8::1]:443"), "[<IP>]:443");
  EXPECT_EQ(redact("mapped ::ffff:192.0.2.1 here"), "mapped <IP> here");
  // C++ scopes, times, MAC addresses and a lone "::" are not addresses.
  const std::vector<std::string> kept = {"std::vector", "Foo::bar()",        "at 12:30:45",
                                         ":: a",        "00:1A:2B:3C:4D:5E", "abc:: def"};
  for (const auto& text : kept) EXPECT_EQ(redact(text), text) << text;
}

TEST(Redact, CreditCardsAreLuhnChecked) {
  EXPECT_EQ(redact("card 4111 1111 1111 1111 ok"), "card <CREDIT_CARD> ok");
  EXPECT_EQ(redact("4111-1111-1111-1111"), "<CREDIT_CARD>");
  EXPECT_EQ(redact("5500000000000004"), "<CREDIT_CARD>");
  EXPECT_EQ(redact("amex 3782 822463 10005"), "amex <CREDIT_CARD>");
  EXPECT_EQ(redact("6011111111111117."), "<CREDIT_CARD>.");
  // Luhn-invalid numbers (including a valid card with one digit changed) are left alone.
  EXPECT_EQ(redact("4111 1111 1111 1112"), "4111 1111 1111 1112");
  EXPECT_EQ(redact("ISBN 978-3-16-148410-0"), "ISBN 978-3-16-148410-0");
  // A longer run that fails keeps its longest passing prefix at a group boundary.
  EXPECT_EQ(redact("4111 1111 1111 1111 12/25"), "<CREDIT_CARD> 12/25");
  // A failing run whose later groups form a card: the search goes on group by group.
  EXPECT_EQ(redact("ref 7 4111 1111 1111 1111"), "ref 7 <CREDIT_CARD>");
  // Glued to letters or to more digits (20 in a row) it is not a card.
  EXPECT_EQ(redact("x4111111111111111"), "x4111111111111111");
  EXPECT_EQ(redact("41111111111111111111"), "41111111111111111111");
}

TEST(Redact, CardBeforePhoneOnTheSameSpan) {
  // 15 digits, trunk-0 grouping: both a European phone shape and a Luhn-valid card number.
  const std::string both = "0412 345 678 901 20";
  EXPECT_EQ(redact(both), "<CREDIT_CARD>");
  EXPECT_EQ(only(PiiType::kPhone).redact(both), "<PHONE>");
  EXPECT_EQ(only(PiiType::kCreditCard).redact(both), "<CREDIT_CARD>");
  // Luhn fails (last digit changed): no card, so the phone pattern takes it.
  EXPECT_EQ(redact("0412 345 678 901 21"), "<PHONE>");
}

TEST(Redact, EarliestStartThenLongestWins) {
  // The e-mail starts at "5551234567", before anything phone-like could.
  EXPECT_EQ(redact("text 5551234567@vtext.com"), "text <EMAIL>");
  // The URL starts before the address it contains.
  EXPECT_EQ(redact("www.example.com/contact?to=a@b.org"), "<URL>");
  // An e-mail whose domain is an IP-like name is one e-mail.
  EXPECT_EQ(redact("root@host1.example.com"), "<EMAIL>");
}

TEST(Redact, AdjacentMatches) {
  EXPECT_EQ(redact("a@b.com,c@d.org;e@f.net"), "<EMAIL>,<EMAIL>;<EMAIL>");
  EXPECT_EQ(redact("192.168.0.1 10.0.0.1/8.8.4.4"), "<IP> <IP>/<IP>");
  EXPECT_EQ(redact("a@b.com 4111111111111111 http://x.io"), "<EMAIL> <CREDIT_CARD> <URL>");
}

TEST(Redact, UnicodeAroundMatches) {
  EXPECT_EQ(redact("Écrivez à jean@exemple.fr — merci ☺"), "Écrivez à <EMAIL> — merci ☺");
  EXPECT_EQ(redact("電話+81 3-1234-5678です"), "電話<PHONE>です");
  EXPECT_EQ(redact("IP：192.168.1.1。"), "IP：<IP>。");
  EXPECT_EQ(redact("«https://example.com/ü»"), "«<URL>ü»");
  EXPECT_EQ(redact("naïve café ☕ 2024"), "naïve café ☕ 2024");
}

TEST(Redact, EmptyAndPlainText) {
  EXPECT_EQ(redact(""), "");
  EXPECT_EQ(redact("nothing to see here."), "nothing to see here.");
}

TEST(Redact, CountsPerTypeAccumulate) {
  const Redactor redactor;
  RedactionCounts counts;
  const std::string text =
      "a@b.com c@d.org http://x.io +1 555-123-4567 10.0.0.1 ::1 4111 1111 1111 1111";
  EXPECT_EQ(redactor.redact(text, &counts),
            "<EMAIL> <EMAIL> <URL> <PHONE> <IP> <IP> <CREDIT_CARD>");
  EXPECT_EQ(counts[PiiType::kEmail], 2);
  EXPECT_EQ(counts[PiiType::kUrl], 1);
  EXPECT_EQ(counts[PiiType::kPhone], 1);
  EXPECT_EQ(counts[PiiType::kIp], 2);
  EXPECT_EQ(counts[PiiType::kCreditCard], 1);
  EXPECT_EQ(counts.total(), 7);
  redactor.redact("x@y.io", &counts);
  EXPECT_EQ(counts[PiiType::kEmail], 3);
  EXPECT_EQ(
      fm::redaction_counts_to_json(counts),
      nlohmann::json::parse(R"({"url": 1, "email": 3, "credit_card": 1, "ip": 2, "phone": 1})"));
  RedactionCounts sum;
  sum += counts;
  sum += counts;
  EXPECT_EQ(sum.total(), 16);
}

TEST(Redact, OnlySelectedTypesAndPlaceholderFormat) {
  RedactorOptions options;
  options.types = {PiiType::kEmail, PiiType::kIp};
  options.placeholder = "[{}]";
  const Redactor redactor(options);
  EXPECT_EQ(redactor.types(), (std::vector<PiiType>{PiiType::kEmail, PiiType::kIp}));
  EXPECT_EQ(redactor.redact("a@b.com http://x.io 1.2.3.4 555-123-4567"),
            "[EMAIL] http://x.io [IP] 555-123-4567");
  options.placeholder = "***";
  EXPECT_EQ(Redactor(options).redact("a@b.com 1.2.3.4"), "*** ***");
  options.types = {};
  EXPECT_EQ(Redactor(options).redact("a@b.com"), "a@b.com");
  EXPECT_EQ(Redactor().placeholder(PiiType::kCreditCard), "<CREDIT_CARD>");
}

TEST(Redact, ParseTypes) {
  EXPECT_EQ(fm::parse_pii_types({"all"}),
            (std::vector<PiiType>{PiiType::kUrl, PiiType::kEmail, PiiType::kCreditCard,
                                  PiiType::kIp, PiiType::kPhone}));
  EXPECT_EQ(fm::parse_pii_types({"phone", "email", "phone"}),
            (std::vector<PiiType>{PiiType::kEmail, PiiType::kPhone}));
  EXPECT_TRUE(fm::parse_pii_types({}).empty());
  try {
    fm::parse_pii_types({"ip", "ssn"}, "x.redact");
    FAIL() << "expected ConfigError";
  } catch (const fm::ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "x.redact[1] must be one of \"url\", \"email\", \"credit_card\", \"ip\", "
                 "\"phone\", \"all\" (got \"ssn\")");
  }
  EXPECT_EQ(Redactor::from_config({"url"}).redact("a@b.com www.x.org"), "a@b.com <URL>");
}

TEST(RedactDataset, TextsOnlyAndCounts) {
  fm::Dataset data;
  data.group_columns = {"g"};
  data.examples.push_back({"a@b.com", "mail me at a@b.com", "1.2.3.4", {"x@y.org"}, 2});
  data.examples.push_back({"1", "no pii", "pos", {"g"}, 3});
  RedactionCounts counts;
  fm::redact_dataset(data, Redactor(), counts);
  EXPECT_EQ(data.examples[0].text, "mail me at <EMAIL>");
  EXPECT_EQ(data.examples[0].id, "a@b.com");
  EXPECT_EQ(data.examples[0].label, "1.2.3.4");
  EXPECT_EQ(data.examples[0].groups, (std::vector<std::string>{"x@y.org"}));
  EXPECT_EQ(data.examples[1].text, "no pii");
  EXPECT_EQ(counts.total(), 1);
  EXPECT_EQ(counts[PiiType::kEmail], 1);
}

TEST(RedactVocabulary, NoRedactedValueReachesTheVocabulary) {
  const std::vector<std::string> raw = {
      "write to john.doe@example.com about the refund",
      "my card 4111 1111 1111 1111 was charged twice",
      "server 203.0.113.77 is down, see https://status.acme.io/incident",
      "call +44 20 7946 0958 or mail jane@corp.net"};
  const std::vector<std::string> secret_tokens = {
      "john", "doe",  "example", "com",    "4111", "1111", "203",      "0",
      "113",  "77",   "https",   "status", "acme", "io",   "incident", "44",
      "20",   "7946", "0958",    "jane",   "corp", "net"};

  // Without redaction the default Keras filters split the values into these very words, so the
  // check below can fail.
  fm::Tokenizer plain;
  plain.fit_on_texts(raw);
  for (const auto& token : secret_tokens) {
    EXPECT_EQ(plain.word_index().count(token), 1u) << token;
  }

  const Redactor redactor;
  std::vector<std::string> redacted;
  for (const auto& text : raw) redacted.push_back(redactor.redact(text));
  fm::Tokenizer tokenizer;
  tokenizer.fit_on_texts(redacted);
  for (const auto& token : secret_tokens) {
    EXPECT_EQ(tokenizer.word_index().count(token), 0u) << token;
  }
  // '<', '>' and '_' are default filters: the placeholders become plain lower-case words.
  for (const auto* word : {"email", "credit", "card", "ip", "url", "phone"}) {
    EXPECT_EQ(tokenizer.word_index().count(word), 1u) << word;
  }
}

}  // namespace
