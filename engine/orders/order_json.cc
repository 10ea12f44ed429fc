#include "engine/orders/order_json.h"

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>
#include <utility>

#include "engine/time.h"

namespace jobsd {
namespace {

namespace json = boost::json;

// A bad line: thrown inside this file only, caught by OrderLineParser::Parse.
struct BadLine {
  std::string reason;
};

std::string_view TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

// The dotted path of a field, built only when a reason needs it.
std::string Path(std::string_view prefix, std::string_view key) {
  std::string out;
  out.reserve(prefix.size() + 1 + key.size());
  out.append(prefix);
  if (!prefix.empty()) out.push_back('.');
  out.append(key);
  return out;
}

[[noreturn]] void WrongType(std::string_view prefix, std::string_view key,
                            std::string_view expected, const json::value& got) {
  throw BadLine{"field " + Path(prefix, key) + ": expected " + std::string(expected) + ", got " +
                std::string(TypeName(got))};
}

// Looks `key` up in `parent`; JSON null counts as absent.
const json::value* Find(const json::object* parent, std::string_view key) {
  if (parent == nullptr) return nullptr;
  const json::value* v = parent->if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

// Each reader leaves its output untouched when the field is absent.
const json::object* ReadObject(const json::object* parent, std::string_view prefix,
                               std::string_view key) {
  const json::value* v = Find(parent, key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) WrongType(prefix, key, "an object", *v);
  return &v->get_object();
}

void ReadString(const json::object* parent, std::string_view prefix, std::string_view key,
                std::string& out) {
  const json::value* v = Find(parent, key);
  if (v == nullptr) return;
  if (!v->is_string()) WrongType(prefix, key, "a string", *v);
  const json::string& s = v->get_string();
  out.assign(s.data(), s.size());
}

void ReadInteger(const json::object* parent, std::string_view prefix, std::string_view key,
                 std::optional<std::int64_t>& out) {
  const json::value* v = Find(parent, key);
  if (v == nullptr) return;
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64()) {
    // Boost.JSON only uses uint64 above INT64_MAX.
    throw BadLine{"field " + Path(prefix, key) + ": integer out of range"};
  } else {
    // 1.5 and 1e2 are numbers but not integers: amounts are minor units.
    WrongType(prefix, key, "an integer", *v);
  }
}

void ReadBool(const json::object* parent, std::string_view prefix, std::string_view key,
              std::optional<bool>& out) {
  const json::value* v = Find(parent, key);
  if (v == nullptr) return;
  if (!v->is_bool()) WrongType(prefix, key, "a boolean", *v);
  out = v->get_bool();
}

Nanos ParseTimestamp(const std::string& text, std::string_view prefix, std::string_view key) {
  std::string reason;
  std::optional<Nanos> t = ParseRfc3339(text, &reason);
  if (!t) {
    std::string shown = text.size() <= 64 ? text : text.substr(0, 64) + "...";
    throw BadLine{"field " + Path(prefix, key) + ": invalid timestamp \"" + shown +
                  "\": " + reason};
  }
  return *t;
}

// relationships.<name>.data.id
void ReadRelationshipId(const json::object* relationships, std::string_view name,
                        std::string& out) {
  const std::string prefix = Path("relationships", name);
  const json::object* rel = ReadObject(relationships, "relationships", name);
  const json::object* data = ReadObject(rel, prefix, "data");
  ReadString(data, Path(prefix, "data"), "id", out);
}

void ReadAddress(const json::object* root, std::string_view key, bool with_shipping_extras,
                 Address& out) {
  const json::object* a = ReadObject(root, "", key);
  if (a == nullptr) return;
  ReadString(a, key, "first_name", out.first_name);
  ReadString(a, key, "last_name", out.last_name);
  ReadString(a, key, "company_name", out.company_name);
  ReadString(a, key, "line_1", out.line_1);
  ReadString(a, key, "line_2", out.line_2);
  ReadString(a, key, "city", out.city);
  ReadString(a, key, "postcode", out.postcode);
  ReadString(a, key, "county", out.county);
  ReadString(a, key, "country", out.country);
  ReadString(a, key, "region", out.region);
  // The export has no billing phone or instructions columns, so those are
  // not read (nor checked) for the billing address.
  if (with_shipping_extras) {
    ReadString(a, key, "phone_number", out.phone_number);
    ReadString(a, key, "instructions", out.instructions);
  }
}

void ReadItems(const json::object* root, std::vector<OrderItem>& out) {
  const json::value* v = Find(root, "items");
  if (v == nullptr) return;
  if (!v->is_array()) WrongType("", "items", "an array", *v);
  const json::array& items = v->get_array();
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string prefix = "items[" + std::to_string(i) + "]";
    if (!items[i].is_object()) {
      throw BadLine{"field " + prefix + ": expected an object, got " +
                    std::string(TypeName(items[i]))};
    }
    const json::object* item = &items[i].get_object();
    OrderItem& o = out.emplace_back();
    ReadString(item, prefix, "id", o.id);
    ReadString(item, prefix, "product_id", o.product_id);
    ReadString(item, prefix, "sku", o.sku);
    ReadString(item, prefix, "name", o.name);
    std::optional<std::int64_t> quantity;
    ReadInteger(item, prefix, "quantity", quantity);
    o.quantity = quantity.value_or(0);
    const json::object* unit_price = ReadObject(item, prefix, "unit_price");
    ReadInteger(unit_price, Path(prefix, "unit_price"), "amount", o.unit_price_amount);
  }
}

void ReadDisplayPrice(const json::object* meta, Order& o) {
  const json::object* prices = ReadObject(meta, "meta", "display_price");
  if (prices == nullptr) return;
  static constexpr std::string_view kPrefix = "meta.display_price";
  const std::array<std::pair<std::string_view, std::optional<std::int64_t>*>, 8> amounts = {{
      {"with_tax", &o.with_tax},
      {"without_tax", &o.without_tax},
      {"tax", &o.tax},
      {"discount", &o.discount},
      {"balance_owing", &o.balance_owing},
      {"paid", &o.paid},
      {"authorized", &o.authorized},
      {"shipping", &o.shipping_amount},
  }};
  for (const auto& [name, target] : amounts) {
    const json::object* price = ReadObject(prices, kPrefix, name);
    ReadInteger(price, Path(kPrefix, name), "amount", *target);
    if (name == "with_tax") ReadString(price, Path(kPrefix, name), "currency", o.currency);
  }
}

void ReadOrder(const json::value& doc, Order& o) {
  if (!doc.is_object()) {
    throw BadLine{"not a JSON object (got " + std::string(TypeName(doc)) + ")"};
  }
  const json::object* root = &doc.get_object();

  const json::value* id = Find(root, "id");
  if (id == nullptr) throw BadLine{"missing field id"};
  if (!id->is_string()) WrongType("", "id", "a string", *id);
  if (id->get_string().empty()) throw BadLine{"field id: must not be empty"};
  o.id = id->get_string();

  ReadString(root, "", "order_number", o.order_number);
  ReadString(root, "", "external_ref", o.external_ref);
  ReadString(root, "", "status", o.status);
  ReadString(root, "", "payment", o.payment);
  ReadString(root, "", "shipping", o.shipping);
  ReadBool(root, "", "anonymized", o.anonymized);

  const json::object* customer = ReadObject(root, "", "customer");
  ReadString(customer, "customer", "id", o.customer_id);
  ReadString(customer, "customer", "name", o.customer_name);
  ReadString(customer, "customer", "email", o.customer_email);

  // Relationships are always read (so their types are checked), but the
  // customer relationship only fills customer_id when customer.id is empty.
  const json::object* relationships = ReadObject(root, "", "relationships");
  std::string related_customer;
  ReadRelationshipId(relationships, "customer", related_customer);
  if (o.customer_id.empty()) o.customer_id = std::move(related_customer);
  ReadRelationshipId(relationships, "account", o.account_id);
  ReadRelationshipId(relationships, "account_member", o.account_member_id);

  const json::object* contact = ReadObject(root, "", "contact");
  ReadString(contact, "contact", "name", o.contact_name);
  ReadString(contact, "contact", "email", o.contact_email);

  const json::object* meta = ReadObject(root, "", "meta");
  ReadDisplayPrice(meta, o);

  const json::object* timestamps = ReadObject(meta, "meta", "timestamps");
  std::string created_at, updated_at;
  if (Find(timestamps, "created_at") == nullptr) {
    throw BadLine{"missing field meta.timestamps.created_at"};
  }
  ReadString(timestamps, "meta.timestamps", "created_at", created_at);
  o.created_at = ParseTimestamp(created_at, "meta.timestamps", "created_at");
  if (Find(timestamps, "updated_at") != nullptr) {
    ReadString(timestamps, "meta.timestamps", "updated_at", updated_at);
    o.updated_at = ParseTimestamp(updated_at, "meta.timestamps", "updated_at");
  } else {
    o.updated_at = o.created_at;
  }

  ReadAddress(root, "shipping_address", true, o.shipping_address);
  ReadAddress(root, "billing_address", false, o.billing_address);
  ReadItems(root, o.items);
}

}  // namespace

OrderLineParser::OrderLineParser() = default;

bool OrderLineParser::Parse(std::string_view line, Order& out, std::string& error) {
  // A small arena per line: the document dies with it, and the parser's own
  // state buffers survive reset() for the next line.
  alignas(std::max_align_t) unsigned char arena[8192];
  json::monotonic_resource resource(arena, sizeof(arena));
  parser_.reset(&resource);

  boost::system::error_code ec;
  parser_.write(line.data(), line.size(), ec);
  if (!ec) parser_.finish(ec);
  if (ec) {
    error = "invalid JSON: " + ec.message();
    parser_.reset();
    return false;
  }
  json::value doc = parser_.release();
  parser_.reset();  // drop the parser's reference to this call's arena

  out = Order{};
  try {
    ReadOrder(doc, out);
  } catch (BadLine& bad) {
    error = std::move(bad.reason);
    return false;
  }
  return true;
}

OrderLineResult ParseOrderLine(std::string_view line) {
  OrderLineResult result;
  OrderLineParser parser;
  Order order;
  if (parser.Parse(line, order, result.error)) result.order = std::move(order);
  return result;
}

}  // namespace jobsd
