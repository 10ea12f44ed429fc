#include "engine/orders/order_seed.h"

#include <array>
#include <chrono>
#include <memory>
#include <string_view>

namespace jobsd {
namespace {

using std::string_view;

std::uint64_t SplitMix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A small deterministic stream for things that must be the same every time
// they are drawn (a customer's name, a product's SKU), whatever order drew
// them: seeded from (seed, kind, index) instead of the order sequence.
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t kind, std::uint64_t index)
      : x_(seed ^ (kind * 0xd1b54a32d192ed03ULL) ^ (index * 0x8cb92ba72f3d8dd7ULL)) {}
  std::uint64_t Next() { return SplitMix64(x_); }
  std::uint64_t Below(std::uint64_t bound) { return Next() % bound; }
  template <typename T, std::size_t N>
  const T& Pick(const std::array<T, N>& values) {
    return values[Below(N)];
  }

 private:
  std::uint64_t x_;
};

// Writes the 128 bits as a lowercase UUID, with the RFC 9562 variant and
// the given version (the caller has laid out the other bits accordingly).
void AssignUuidBits(std::string& out, std::uint64_t hi, std::uint64_t lo, std::uint64_t version) {
  static constexpr char kHex[] = "0123456789abcdef";
  hi = (hi & ~0xf000ULL) | (version << 12);
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 9562 variant
  out.resize(36);
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[pos++] = '-';
    const std::uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out[pos++] = kHex[(word >> shift) & 0xf];
  }
}

// A random (version 4) UUID from two PRNG words.
void AssignUuid(std::string& out, std::uint64_t hi, std::uint64_t lo) {
  AssignUuidBits(out, hi, lo, 4);
}

// A time-ordered (version 7) UUID: the Unix milliseconds of `at` in the first
// 48 bits, then PRNG bits. Order ids are made this way because ids minted
// when an order is created, as shops do today, sort by creation time: each
// insert into the id index and into the order_items key (order_id, id)
// lands at the end of the B-tree instead of on a random page, which is what
// kept a million-order seed from staying in the page cache.
void AssignUuidV7(std::string& out, Nanos at, std::uint64_t hi, std::uint64_t lo) {
  const auto millis = static_cast<std::uint64_t>(at / 1'000'000) & 0xffff'ffff'ffffULL;
  AssignUuidBits(out, (millis << 16) | (hi & 0xffffULL), lo, 7);
}

constexpr std::array<string_view, 24> kFirstNames = {
    "Andy",   "April", "Zoë",    "José",    "Søren",  "Renée", "François", "Chloé",
    "Jürgen", "Björn", "Hélène", "Siobhán", "Tomás",  "Niamh", "Øystein",  "Ana María",
    "Leslie", "Ron",   "Ann",    "Ben",     "Mañuel", "Dóra",  "=Eve",     "@Mallory"};
constexpr std::array<string_view, 24> kFirstAscii = {
    "andy",   "april", "zoe",    "jose",    "soren",  "renee", "francois", "chloe",
    "jurgen", "bjorn", "helene", "siobhan", "tomas",  "niamh", "oystein",  "ana.maria",
    "leslie", "ron",   "ann",    "ben",     "manuel", "dora",  "eve",      "mallory"};
constexpr std::array<string_view, 20> kLastNames = {
    "O'Brien",   "Müller",      "García",          "Ødegaard", "Smith, Jr.", "D'Angelo", "Núñez",
    "Brontë",    "Knope",       "Swanson",         "Perkins",  "Wyatt",      "Dwyer",    "Ludgate",
    "Haverford", "Łukasiewicz", "\"Bob\" Roberts", "Nakamura", "-Minus",     "+Plus"};
constexpr std::array<string_view, 20> kLastAscii = {
    "obrien",    "muller",      "garcia",  "odegaard", "smith", "dangelo", "nunez",
    "bronte",    "knope",       "swanson", "perkins",  "wyatt", "dwyer",   "ludgate",
    "haverford", "lukasiewicz", "roberts", "nakamura", "minus", "plus"};
constexpr std::array<string_view, 4> kDomains = {"example.com", "example.org", "example.net",
                                                 "exemple.fr"};
constexpr std::array<string_view, 8> kCompanies = {
    "", "", "", "Acme, Inc.", "Smith & Sons", "\"Quoted\" Ltd", "Café Noël", "=HYPERLINK(\"x\")"};

struct Place {
  string_view country, region, county, city, postcode, currency;
  int tax_percent;
};
constexpr std::array<Place, 12> kPlaces = {{
    {"US", "CA", "Orange", "Anaheim", "92802", "USD", 0},
    {"US", "IN", "Wamapoke", "Pawnee", "47998", "USD", 7},
    {"US", "NY", "", "New York", "10001", "USD", 8},
    {"DE", "NW", "", "Köln", "50667", "EUR", 19},
    {"DE", "BY", "", "München", "80331", "EUR", 19},
    {"FR", "IDF", "", "Paris", "75004", "EUR", 20},
    {"ES", "GA", "A Coruña", "A Coruña", "15001", "EUR", 21},
    {"GB", "ENG", "Hertfordshire", "St. Albans", "AL1 1AA", "GBP", 20},
    {"GB", "ENG", "", "London", "NW1 6XE", "GBP", 20},
    {"JP", "13", "", "東京", "100-0001", "JPY", 10},
    {"DK", "84", "", "København", "1050", "DKK", 25},
    {"NO", "54", "Troms", "Tromsø", "9008", "NOK", 25},
}};
constexpr std::array<string_view, 8> kStreets = {
    "1 Sunny Street", "Hauptstraße 5", "12, rue de l'Église",   "Flat 3, 221B Baker Street",
    "Calle Mayor 1",  "Strøget 4",     "742 Evergreen Terrace", "1-1 Chiyoda"};
constexpr std::array<string_view, 5> kLine2 = {"", "", "", "Apt. 4", "c/o \"Mail room\""};
constexpr std::array<string_view, 8> kInstructions = {
    "",
    "",
    "",
    "",
    "Leave at the back door, by the \"blue\" gate",
    "Ring twice\nthen wait",
    "-fragile-",
    "@reception, please"};
constexpr std::array<string_view, 8> kPhones = {
    "", "",           "+1 555 0100",      "+49 221 123456", "+44 20 7946 0958",
    "", "0221 98765", "+33 1 23 45 67 89"};

constexpr std::array<string_view, 4> kStatuses = {"incomplete", "processing", "complete",
                                                  "cancelled"};
constexpr std::array<string_view, 6> kPayments = {
    "unpaid", "authorized", "partially_authorized", "paid", "partially_paid", "refunded"};
constexpr std::array<string_view, 2> kShippings = {"unfulfilled", "fulfilled"};
constexpr std::array<string_view, 6> kExternalRefs = {"", "", "", "ext-", "=1+1", "+ref-"};

struct Product {
  string_view sku, name;
  std::int64_t unit_price;
};
constexpr std::array<Product, 16> kProducts = {{
    {"deck-shoe-001", "Deck shoe", 40000},
    {"mug-002", "Mug, large", 1200},
    {"tee-003", "Tee \"Classic\"", 2500},
    {"cap-004", "Cap", 1800},
    {"sock-005", "Socks (3 pairs)", 999},
    {"bag-006", "Tote bag", 1500},
    {"pen-007", "Pen", 250},
    {"book-008", "Ørsted's notebook", 1999},
    {"lamp-009", "Lamp; brass", 8900},
    {"chair-010", "Chair", 12900},
    {"desk-011", "Desk", 45000},
    {"=sku-012", "Formula sku", 100},
    {"hat-013", "Hat, wool", 3500},
    {"scarf-014", "Scarf", 2900},
    {"glove-015", "Gloves", 2100},
    {"café-016", "Café beans, 1 kg", 1650},
}};

constexpr std::uint64_t kCustomers = 5000;
constexpr std::uint64_t kAccounts = 200;
// 2023-01-01T00:00:00Z
constexpr Nanos kEpochStart = 1'672'531'200LL * kNanosPerSecond;
constexpr Nanos kTwoYears = 730 * kNanosPerDay;

enum StreamKind : std::uint64_t { kCustomerStream = 1, kAccountStream = 2, kProductStream = 3 };

void FillCustomer(std::uint64_t seed, std::uint64_t index, Order& o) {
  Stream s(seed, kCustomerStream, index);
  AssignUuid(o.customer_id, s.Next(), s.Next());
  const std::size_t first = s.Below(kFirstNames.size());
  const std::size_t last = s.Below(kLastNames.size());
  o.customer_name.assign(kFirstNames[first]).append(" ").append(kLastNames[last]);
  o.customer_email.assign(kFirstAscii[first])
      .append(".")
      .append(kLastAscii[last])
      .append(std::to_string(index))
      .append("@")
      .append(s.Pick(kDomains));

  const Place& place = s.Pick(kPlaces);
  Address& a = o.shipping_address;
  a.first_name.assign(kFirstNames[first]);
  a.last_name.assign(kLastNames[last]);
  a.phone_number.assign(s.Pick(kPhones));
  a.company_name.assign(s.Pick(kCompanies));
  a.line_1.assign(s.Pick(kStreets));
  a.line_2.assign(s.Pick(kLine2));
  a.city.assign(place.city);
  a.postcode.assign(place.postcode);
  a.county.assign(place.county);
  a.country.assign(place.country);
  a.region.assign(place.region);
  a.instructions.clear();
  Address& b = o.billing_address;
  b.first_name = a.first_name;
  b.last_name = a.last_name;
  b.phone_number.clear();
  b.company_name = a.company_name;
  b.line_1 = a.line_1;
  b.line_2 = a.line_2;
  b.city = a.city;
  b.postcode = a.postcode;
  b.county = a.county;
  b.country = a.country;
  b.region = a.region;
  b.instructions.clear();
  o.currency.assign(place.currency);
}

void FillAccount(std::uint64_t seed, std::uint64_t index, Order& o) {
  Stream s(seed, kAccountStream, index);
  AssignUuid(o.account_id, s.Next(), s.Next());
  const std::size_t first = s.Below(kFirstNames.size());
  const std::size_t last = s.Below(kLastNames.size());
  o.contact_name.assign(kFirstNames[first]).append(" ").append(kLastNames[last]);
  o.contact_email.assign(kFirstAscii[first]).append("@account").append(std::to_string(index));
  o.contact_email.append(".example.com");
}

void FillItem(std::uint64_t seed, std::uint64_t product, OrderItem& item) {
  Stream s(seed, kProductStream, product);
  AssignUuid(item.product_id, s.Next(), s.Next());
  item.sku.assign(kProducts[product].sku);
  item.name.assign(kProducts[product].name);
  item.unit_price_amount = kProducts[product].unit_price;
}

}  // namespace

OrderGenerator::OrderGenerator(std::uint64_t seed, std::int64_t expected_count)
    : seed_(seed), clock_(kEpochStart) {
  std::uint64_t x = seed;
  for (std::uint64_t& word : state_) word = SplitMix64(x);
  mean_step_ = kTwoYears / (expected_count > 0 ? expected_count : 1);
  if (mean_step_ < 1) mean_step_ = 1;
}

// xoshiro256**: fast, good statistical quality, tiny state. Not for secrets
// (ids and tokens of the service itself come from engine/random.h).
std::uint64_t OrderGenerator::NextU64() {
  auto rotl = [](std::uint64_t v, int k) { return (v << k) | (v >> (64 - k)); };
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t OrderGenerator::Below(std::uint64_t bound) {
  // Plain modulo: its bias (bound / 2^64) does not matter for demo data.
  return NextU64() % bound;
}

bool OrderGenerator::Chance(int percent) {
  return Below(100) < static_cast<std::uint64_t>(percent);
}

Order OrderGenerator::Next() {
  Order order;
  Next(order);
  return order;
}

void OrderGenerator::Next(Order& o) {
  ++sequence_;
  // Drawn first (the id's random part), laid out once created_at is known.
  const std::uint64_t id_hi = NextU64();
  const std::uint64_t id_lo = NextU64();
  o.order_number.assign(std::to_string(1000 + sequence_));
  o.external_ref.assign(kExternalRefs[Below(kExternalRefs.size())]);
  if (o.external_ref == "ext-" || o.external_ref == "+ref-") {
    o.external_ref.append(std::to_string(Below(1'000'000)));
  }
  o.status.assign(kStatuses[Below(kStatuses.size())]);
  o.payment.assign(kPayments[Below(kPayments.size())]);
  o.shipping.assign(kShippings[Below(kShippings.size())]);
  const std::uint64_t anonymized = Below(100);
  if (anonymized < 3) {
    o.anonymized.reset();
  } else {
    o.anonymized = anonymized < 5;
  }

  FillCustomer(seed_, Below(kCustomers), o);
  // A guest checkout has no customer id, as in the reference file.
  if (Chance(20)) o.customer_id.clear();
  if (Chance(30)) {
    FillAccount(seed_, Below(kAccounts), o);
    AssignUuid(o.account_member_id, NextU64(), NextU64());
  } else {
    o.account_id.clear();
    o.account_member_id.clear();
    o.contact_name.clear();
    o.contact_email.clear();
  }
  o.shipping_address.instructions.assign(kInstructions[Below(kInstructions.size())]);

  const std::size_t item_count = Below(5);
  o.items.resize(item_count);
  std::int64_t subtotal = 0;
  for (OrderItem& item : o.items) {
    FillItem(seed_, Below(kProducts.size()), item);
    AssignUuid(item.id, NextU64(), NextU64());
    item.quantity = 1 + static_cast<std::int64_t>(Below(3));
    subtotal += item.quantity * *item.unit_price_amount;
  }

  // Amounts consistent with each other, in the currency's minor units.
  const std::int64_t shipping = item_count == 0 ? 0 : (Chance(50) ? 0 : 700);
  const std::int64_t discount = Chance(15) ? subtotal / 10 : 0;
  const std::int64_t without_tax = subtotal - discount + shipping;
  int tax_percent = 0;
  for (const Place& place : kPlaces) {
    if (place.city == o.shipping_address.city) tax_percent = place.tax_percent;
  }
  const std::int64_t tax = without_tax * tax_percent / 100;
  const std::int64_t with_tax = without_tax + tax;
  std::int64_t paid = 0, authorized = 0;
  if (o.payment == "paid" || o.payment == "refunded") paid = with_tax;
  if (o.payment == "partially_paid") paid = with_tax / 2;
  if (o.payment == "authorized") authorized = with_tax;
  if (o.payment == "partially_authorized") authorized = with_tax / 2;
  o.with_tax = with_tax;
  o.without_tax = without_tax;
  o.tax = tax;
  o.discount = discount;
  o.shipping_amount = shipping;
  o.balance_owing = with_tax - paid;
  o.paid = paid;
  o.authorized = authorized;
  // A few orders from an older import carry no amounts at all.
  if (Chance(2)) {
    o.with_tax.reset();
    o.without_tax.reset();
    o.tax.reset();
    o.discount.reset();
    o.shipping_amount.reset();
    o.balance_owing.reset();
    o.paid.reset();
    o.authorized.reset();
    o.currency.clear();
  }

  // Increasing on average, with jitter so neighbours sometimes swap, and
  // sub-second parts of every precision.
  clock_ += static_cast<Nanos>(Below(static_cast<std::uint64_t>(2 * mean_step_) + 1));
  Nanos jitter = static_cast<Nanos>(Below(static_cast<std::uint64_t>(mean_step_) + 1));
  Nanos created = clock_ - jitter / 2;
  switch (Below(4)) {
    case 0:
      created -= created % kNanosPerSecond;  // whole seconds
      break;
    case 1:
      created -= created % 1'000'000;  // milliseconds
      break;
    default:
      break;  // nanoseconds
  }
  o.created_at = created;
  AssignUuidV7(o.id, created, id_hi, id_lo);
  o.updated_at = Chance(40) ? created : created + static_cast<Nanos>(Below(30 * kNanosPerDay));
}

SeedReport SeedOrders(OrderStore& store, std::int64_t count, std::uint64_t seed, std::int64_t chunk,
                      const std::function<void(const SeedProgress&)>& on_progress) {
  constexpr std::int64_t kProgressEvery = 4096;
  if (chunk < 1) chunk = 1;
  SeedReport report;
  OrderGenerator generator(seed, count);
  Order order;  // reused, so its strings keep their capacity
  while (report.written < count) {
    std::unique_ptr<OrderImport> session = store.BeginImport();
    const std::int64_t end = std::min(count, report.written + chunk);
    std::int64_t written = report.written;
    for (; written < end; ++written) {
      generator.Next(order);
      session->Put(order);
      if (on_progress && written % kProgressEvery == 0) {
        on_progress(SeedProgress{written, count, false});
      }
    }
    if (on_progress) on_progress(SeedProgress{written, count, true});
    const auto commit_start = std::chrono::steady_clock::now();
    session->Commit();
    report.commit_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_start).count();
    report.written = written;
    ++report.transactions;
  }
  return report;
}

}  // namespace jobsd
