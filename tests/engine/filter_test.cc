#include "engine/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jobsd::filter {
namespace {

// A compact, comparable rendering of a parsed filter:
//   eq status "paid" | gt with_tax 100 | eq created_at @<ns>/day
std::string Describe(const Filter& filter) {
  std::string out;
  for (const Condition& c : filter.conditions) {
    if (!out.empty()) out += " | ";
    out += std::string(ToString(c.op)) + " " + c.field;
    for (const Value& v : c.values) {
      out += " ";
      if (const auto* s = std::get_if<std::string>(&v)) {
        out += "\"" + *s + "\"";
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*n);
      } else {
        const TimeValue& t = std::get<TimeValue>(v);
        out += "@" + std::to_string(t.at) + (t.whole_day ? "/day" : "");
      }
    }
  }
  return out;
}

std::string ParseOrders(std::string_view text) { return Describe(Parse(text, OrderFields())); }

std::string ErrorOf(std::string_view text, const FieldCatalog& catalog) {
  try {
    const Filter f = Parse(text, catalog);
    return "<accepted: " + Describe(f) + ">";
  } catch (const FilterError& e) {
    return e.what();
  }
}

constexpr std::int64_t kSep1 = 1'535'760'000'000'000'000;  // 2018-09-01T00:00:00Z

struct AcceptCase {
  std::string text;
  std::string parsed;
};

TEST(FilterParseTest, AcceptsEveryOrderFieldAndOperator) {
  const AcceptCase cases[] = {
      {"eq(status,complete)", "eq status \"complete\""},
      {"in(status,incomplete,processing,complete,cancelled)",
       "in status \"incomplete\" \"processing\" \"complete\" \"cancelled\""},
      {"eq(payment,partially_authorized)", "eq payment \"partially_authorized\""},
      {"in(payment,unpaid,authorized,paid,partially_paid,refunded)",
       "in payment \"unpaid\" \"authorized\" \"paid\" \"partially_paid\" \"refunded\""},
      {"eq(shipping,fulfilled)", "eq shipping \"fulfilled\""},
      {"in(shipping,unfulfilled)", "in shipping \"unfulfilled\""},
      {"eq(name,Ron Swanson)", "eq name \"Ron Swanson\""},
      {"like(name,*swan*)", "like name \"*swan*\""},
      {"in(name,Ron,Leslie)", "in name \"Ron\" \"Leslie\""},
      {"eq(email,ron@swanson.com)", "eq email \"ron@swanson.com\""},
      {"like(email,*@swanson.com)", "like email \"*@swanson.com\""},
      {"in(email,a@b.c,d@e.f)", "in email \"a@b.c\" \"d@e.f\""},
      {"eq(customer_id,c-1)", "eq customer_id \"c-1\""},
      {"like(customer_id,c-*)", "like customer_id \"c-*\""},
      {"in(customer_id,c-1,c-2)", "in customer_id \"c-1\" \"c-2\""},
      {"eq(account_id,a1)", "eq account_id \"a1\""},
      {"like(account_id,a*)", "like account_id \"a*\""},
      {"in(account_id,a1)", "in account_id \"a1\""},
      {"eq(account_member_id,m1)", "eq account_member_id \"m1\""},
      {"like(account_member_id,*)", "like account_member_id \"*\""},
      {"in(account_member_id,m1,m2)", "in account_member_id \"m1\" \"m2\""},
      {"eq(contact.name,Ann Perkins)", "eq contact.name \"Ann Perkins\""},
      {"like(contact.name,ann*)", "like contact.name \"ann*\""},
      {"eq(contact.email,ann@x.io)", "eq contact.email \"ann@x.io\""},
      {"like(contact.email,*@X.IO)", "like contact.email \"*@X.IO\""},
      {"eq(shipping_name,Ron Swanson)", "eq shipping_name \"Ron Swanson\""},
      {"like(shipping_name,ron *)", "like shipping_name \"ron *\""},
      {"eq(billing_name,Ron Swanson)", "eq billing_name \"Ron Swanson\""},
      {"like(billing_name,*Swanson)", "like billing_name \"*Swanson\""},
      {"eq(shipping_postcode,NW1 6XE)", "eq shipping_postcode \"NW1 6XE\""},
      {"like(shipping_postcode,NW1*)", "like shipping_postcode \"NW1*\""},
      {"in(shipping_postcode,NW1 6XE,E1 6AN)", "in shipping_postcode \"NW1 6XE\" \"E1 6AN\""},
      {"eq(billing_postcode,90210)", "eq billing_postcode \"90210\""},
      {"like(billing_postcode,902*)", "like billing_postcode \"902*\""},
      {"in(billing_postcode,90210,10001)", "in billing_postcode \"90210\" \"10001\""},
      {"eq(with_tax,1000)", "eq with_tax 1000"},
      {"gt(with_tax,-5)", "gt with_tax -5"},
      {"ge(with_tax,0)", "ge with_tax 0"},
      {"lt(with_tax,9223372036854775807)", "lt with_tax 9223372036854775807"},
      {"le(with_tax,-9223372036854775808)", "le with_tax -9223372036854775808"},
      {"eq(without_tax,900)", "eq without_tax 900"},
      {"gt(without_tax,1)", "gt without_tax 1"},
      {"ge(without_tax,2)", "ge without_tax 2"},
      {"lt(without_tax,3)", "lt without_tax 3"},
      {"le(without_tax,4)", "le without_tax 4"},
      {"eq(currency,USD)", "eq currency \"USD\""},
      {"in(currency,USD,GBP,EUR)", "in currency \"USD\" \"GBP\" \"EUR\""},
      {"eq(product_id,p-1)", "eq product_id \"p-1\""},
      {"in(product_id,p-1,p-2)", "in product_id \"p-1\" \"p-2\""},
      {"eq(product_sku,SKU-1)", "eq product_sku \"SKU-1\""},
      {"in(product_sku,SKU-1,SKU-2)", "in product_sku \"SKU-1\" \"SKU-2\""},
      {"eq(created_at,2018-09-01)", "eq created_at @" + std::to_string(kSep1) + "/day"},
      {"gt(created_at,2018-09-01)", "gt created_at @" + std::to_string(kSep1)},
      {"ge(created_at,2018-09-01T00:00:00Z)", "ge created_at @" + std::to_string(kSep1)},
      {"lt(created_at,1535760000000)", "lt created_at @" + std::to_string(kSep1)},
      {"le(created_at,2018-09-01T02:00:00+02:00)", "le created_at @" + std::to_string(kSep1)},
      {"eq(updated_at,2018-09-01T00:00:00.5Z)",
       "eq updated_at @" + std::to_string(kSep1 + 500'000'000)},
      {"eq(updated_at,1535760000000)", "eq updated_at @" + std::to_string(kSep1)},
      {"gt(updated_at,2018-09-01)", "gt updated_at @" + std::to_string(kSep1)},
      {"ge(updated_at,2018-09-01)", "ge updated_at @" + std::to_string(kSep1)},
      {"lt(updated_at,2018-09-01)", "lt updated_at @" + std::to_string(kSep1)},
      {"le(updated_at,2018-09-01)", "le updated_at @" + std::to_string(kSep1)},
      {"eq(external_ref,ext-1)", "eq external_ref \"ext-1\""},
      {"like(external_ref,*ext*)", "like external_ref \"*ext*\""},
      {"in(external_ref,ext-1,ext-2)", "in external_ref \"ext-1\" \"ext-2\""},
      {"eq(order_number,1001)", "eq order_number \"1001\""},
      {"like(order_number,10*)", "like order_number \"10*\""},
      {"in(order_number,1001,1002)", "in order_number \"1001\" \"1002\""},
  };
  for (const AcceptCase& c : cases) {
    try {
      EXPECT_EQ(ParseOrders(c.text), c.parsed) << c.text;
    } catch (const FilterError& e) {
      ADD_FAILURE() << c.text << " rejected: " << e.what();
    }
  }
}

TEST(FilterParseTest, AcceptsSyntaxVariants) {
  const AcceptCase cases[] = {
      // The example of the API documentation.
      {"gt(created_at,2018-09-01):eq(payment,paid)",
       "gt created_at @" + std::to_string(kSep1) + " | eq payment \"paid\""},
      // Blanks around operators, fields, values and ':' are ignored.
      {" \teq ( status , complete ) \t: \tin( payment ,\tpaid , unpaid )\t",
       "eq status \"complete\" | in payment \"paid\" \"unpaid\""},
      // Inner blanks of a bare value are kept.
      {"eq(name,  Ron   Swanson  )", "eq name \"Ron   Swanson\""},
      // Both quote characters; blanks inside quotes are kept.
      {"eq(name,\"  Ron \")", "eq name \"  Ron \""},
      {"eq(name,'  Ron ')", "eq name \"  Ron \""},
      // Quotes may hold anything, including the syntax characters.
      {"eq(name,\"a(b)c,d:e'f\")", "eq name \"a(b)c,d:e'f\""},
      {"eq(name,'a\"b')", "eq name \"a\"b\""},
      // Escapes: the quote character and a backslash.
      {R"(eq(name,"say \"hi\""))", "eq name \"say \"hi\"\""},
      {R"(eq(name,'it\'s'))", "eq name \"it's\""},
      {R"(eq(name,"back\\slash"))", "eq name \"back\\slash\""},
      // "" is the empty string (an absent text compares as "").
      {"eq(email,\"\")", "eq email \"\""},
      {"eq(email,'')", "eq email \"\""},
      {"in(email,\"\",'x', y )", "in email \"\" \"x\" \"y\""},
      // Bare RFC 3339 timestamps need no quotes although they contain ':'.
      {"gt(created_at,2018-09-01T00:00:00Z):lt(updated_at,2018-09-01T02:00:00+02:00)",
       "gt created_at @" + std::to_string(kSep1) + " | lt updated_at @" + std::to_string(kSep1)},
      {"gt(created_at,\"2018-09-01T00:00:00Z\")", "gt created_at @" + std::to_string(kSep1)},
      // like keeps the raw pattern, wildcards and SQL metacharacters alike.
      {"like(name,*50%_off*)", "like name \"*50%_off*\""},
      {"like(name,'*')", "like name \"*\""},
      // Values that look like SQL are just values.
      {"eq(email,\"x' OR 1=1 --\")", "eq email \"x' OR 1=1 --\""},
      {"eq(name,Robert; DROP TABLE orders)", "eq name \"Robert; DROP TABLE orders\""},
      {"in(order_number,'1'' OR ''1''=''1')", "<rejected>"},
      // Non-ASCII text passes through untouched.
      {"eq(name,Zoë Ångström)", "eq name \"Zoë Ångström\""},
      // Empty and blank filters mean "everything".
      {"", ""},
      {"   \t ", ""},
  };
  for (const AcceptCase& c : cases) {
    if (c.parsed == "<rejected>") {
      EXPECT_THROW(Parse(c.text, OrderFields()), FilterError) << c.text;
      continue;
    }
    try {
      EXPECT_EQ(ParseOrders(c.text), c.parsed) << c.text;
    } catch (const FilterError& e) {
      ADD_FAILURE() << c.text << " rejected: " << e.what();
    }
  }
}

TEST(FilterParseTest, AcceptsEveryJobFieldAndOperator) {
  const AcceptCase cases[] = {
      {"eq(status,pending)", "eq status \"pending\""},
      {"in(status,pending,started,success,failed)",
       "in status \"pending\" \"started\" \"success\" \"failed\""},
      {"eq(job_type,order_export)", "eq job_type \"order_export\""},
      {"in(job_type,order_export,other)", "in job_type \"order_export\" \"other\""},
      {"eq(created_at,2018-09-01)", "eq created_at @" + std::to_string(kSep1) + "/day"},
      {"gt(created_at,2018-09-01)", "gt created_at @" + std::to_string(kSep1)},
      {"ge(created_at,1535760000000)", "ge created_at @" + std::to_string(kSep1)},
      {"lt(updated_at,2018-09-01T00:00:00Z)", "lt updated_at @" + std::to_string(kSep1)},
      {"le(updated_at,2018-09-01)", "le updated_at @" + std::to_string(kSep1)},
      {"eq(updated_at,2018-09-01T00:00:00Z)", "eq updated_at @" + std::to_string(kSep1)},
  };
  for (const AcceptCase& c : cases) {
    try {
      EXPECT_EQ(Describe(Parse(c.text, JobFields())), c.parsed) << c.text;
    } catch (const FilterError& e) {
      ADD_FAILURE() << c.text << " rejected: " << e.what();
    }
  }
}

// The catalogs are the tables of docs/filters.md, operator by operator.
TEST(FilterCatalogTest, MatchesTheContractTables) {
  const auto ops_of = [](const FieldCatalog& catalog) {
    std::string out;
    for (const FieldSpec& spec : catalog) {
      out += std::string(spec.name) + ":";
      for (Op op : spec.ops) out += " " + std::string(ToString(op));
      out += "\n";
    }
    return out;
  };
  EXPECT_EQ(ops_of(OrderFields()),
            "status: eq in\npayment: eq in\nshipping: eq in\nname: eq like in\n"
            "email: eq like in\ncustomer_id: eq like in\naccount_id: eq like in\n"
            "account_member_id: eq like in\ncontact.name: eq like\ncontact.email: eq like\n"
            "shipping_name: eq like\nbilling_name: eq like\nshipping_postcode: eq like in\n"
            "billing_postcode: eq like in\nwith_tax: eq gt ge lt le\n"
            "without_tax: eq gt ge lt le\ncurrency: eq in\nproduct_id: eq in\n"
            "product_sku: eq in\ncreated_at: eq gt ge lt le\nupdated_at: eq gt ge lt le\n"
            "external_ref: eq like in\norder_number: eq like in\n");
  EXPECT_EQ(ops_of(JobFields()),
            "status: eq in\njob_type: eq in\ncreated_at: eq gt ge lt le\n"
            "updated_at: eq gt ge lt le\n");
}

// Every operator a field does not list is refused, naming field and operator.
TEST(FilterCatalogTest, RejectsEveryOperatorNotListedForAField) {
  const std::vector<Op> all = {Op::kEq, Op::kLike, Op::kIn, Op::kGt, Op::kGe, Op::kLt, Op::kLe};
  for (const FieldCatalog* catalog : {&OrderFields(), &JobFields()}) {
    for (const FieldSpec& spec : *catalog) {
      for (Op op : all) {
        bool listed = false;
        for (Op allowed : spec.ops) listed = listed || allowed == op;
        if (listed) continue;
        const std::string text = std::string(ToString(op)) + "(" + std::string(spec.name) + ",x)";
        const std::string reason = ErrorOf(text, *catalog);
        EXPECT_NE(reason.find("operator [" + std::string(ToString(op)) +
                              "] is not allowed on field [" + std::string(spec.name) + "]"),
                  std::string::npos)
            << text << ": " << reason;
      }
    }
  }
}

struct RejectCase {
  std::string text;
  std::vector<std::string> reason_contains;
};

TEST(FilterParseTest, RejectsWithSpecificReasons) {
  const RejectCase cases[] = {
      // Unknown fields list every allowed field.
      {"eq(colour,red)",
       {"unknown field [colour]; allowed fields are status, payment, shipping, name, email, "
        "customer_id, account_id, account_member_id, contact.name, contact.email, "
        "shipping_name, billing_name, shipping_postcode, billing_postcode, with_tax, "
        "without_tax, currency, product_id, product_sku, created_at, updated_at, "
        "external_ref, order_number"}},
      {"eq(STATUS,paid)", {"unknown field [STATUS]"}},
      {"eq(contact_name,x)", {"unknown field [contact_name]"}},
      // Unknown operators, including uppercase ones.
      {"EQ(status,complete)",
       {"unknown operator [EQ]; operators are eq, like, in, gt, ge, lt, le"}},
      {"ne(status,complete)", {"unknown operator [ne]"}},
      {"like(status,com*)",
       {"operator [like] is not allowed on field [status]; allowed operators are eq, in"}},
      {"gt(name,a)", {"operator [gt] is not allowed on field [name]", "eq, like, in"}},
      {"in(contact.name,a,b)", {"operator [in] is not allowed on field [contact.name]"}},
      // Enum values are checked, case-sensitively, listing the allowed ones.
      {"eq(payment,payed)",
       {"invalid value [payed] for field [payment]; allowed values are unpaid, authorized, "
        "partially_authorized, paid, partially_paid, refunded"}},
      {"eq(payment,PAID)", {"invalid value [PAID] for field [payment]"}},
      {"in(status,complete,done)", {"invalid value [done] for field [status]"}},
      {"eq(shipping,\"\")", {"invalid value [] for field [shipping]"}},
      // Amounts are whole numbers in range.
      {"gt(with_tax,10.5)", {"invalid amount [10.5] for field [with_tax]", "whole number"}},
      {"gt(with_tax,ten)", {"invalid amount [ten]"}},
      {"gt(with_tax,-)", {"invalid amount [-]"}},
      {"gt(with_tax,+5)", {"invalid amount [+5]"}},
      {"gt(with_tax,\"\")", {"invalid amount []"}},
      {"gt(with_tax,1e3)", {"invalid amount [1e3]"}},
      {"gt(with_tax,9223372036854775808)", {"amount [9223372036854775808]", "out of range"}},
      {"gt(with_tax,-9223372036854775809)", {"out of range"}},
      // Currencies are three uppercase ASCII letters.
      {"eq(currency,usd)", {"invalid currency [usd] for field [currency]", "three uppercase"}},
      {"eq(currency,USDT)", {"invalid currency [USDT]"}},
      {"in(currency,USD,E1R)", {"invalid currency [E1R]"}},
      // Dates.
      {"gt(created_at,2024-02-30)",
       {"malformed date [2024-02-30] for field [created_at]",
        "invalid date 2024-02-30: February 2024 has 29 days"}},
      {"gt(created_at,yesterday)", {"malformed date [yesterday] for field [created_at]"}},
      {"gt(updated_at,2024-01-01T00:00:00)", {"malformed date", "missing time zone"}},
      {"gt(created_at,2024-01-01T00:00:00.1234567890Z)", {"more than 9 fractional digits"}},
      {"gt(created_at,99999999999999999)", {"malformed date", "out of range"}},
      // Syntax, with the position of the offending condition.
      {"eq(status,complete):eq(payment,paid", {"missing ')' to close condition 2"}},
      {"eq(status,\"complete):eq(payment,paid)", {"unbalanced quotes in condition 1"}},
      {"eq(status,complete):eq(name,'Ron)", {"unbalanced quotes in condition 2"}},
      {"eq status,complete)", {"expected '(' after operator [eq]", "condition 1"}},
      {"eq", {"expected '(' after operator [eq]"}},
      {"(status,complete)", {"missing operator in condition 1"}},
      {"eq(,complete)", {"missing field in condition 1"}},
      {"eq(status)", {"expected ',' and a value after field [status]"}},
      {"eq(status", {"missing ')' to close condition 1"}},
      {"eq(status,)", {"empty value in condition 1"}},
      {"in(status,complete,)", {"empty value in condition 1"}},
      {"in(status,,complete)", {"empty value in condition 1"}},
      {"eq(status,  )", {"empty value"}},
      {"eq(status,complete):", {"empty condition 2"}},
      {"eq(status,complete)::eq(payment,paid)", {"empty condition 2"}},
      {":eq(status,complete)", {"empty condition 1"}},
      {"eq(status,complete) eq(payment,paid)",
       {"expected ':' between conditions after condition 1"}},
      {"eq(status,complete)x", {"expected ':' between conditions"}},
      {"eq(status,complete,processing)", {"takes exactly one value", "condition 1"}},
      {"eq(name,a(b)", {"bare value [a(b]", "quote it"}},
      {"eq(name,it's)", {"bare value [it's]"}},
      {"eq(name,a\"b\")", {"bare value [a\"b\"]"}},
      {R"(eq(name,a\b))", {"bare value [a\\b]"}},
      {R"(eq(name,"a\nb"))", {"invalid escape [\\n] in condition 1"}},
      {R"(eq(name,'a\"b'))", {"invalid escape [\\\"]"}},
      {R"(eq(name,"abc\"))", {"unbalanced quotes"}},
      {"eq(name,\"Ron\" Swanson)", {"unexpected text after quoted value in condition 1"}},
      {"eq(name,\"Ron\"\"Swanson\")", {"unexpected text after quoted value"}},
      // The classic injection in bare form is refused for its quote, not run.
      {"eq(email,x' OR 1=1 --)", {"bare value [x' OR 1=1 --]"}},
      // A NUL byte in a text value: no store keeps it as text alike.
      {std::string("eq(name,\"a\0b\")", 14),
       {"invalid value [a\\x00b] for field [name]: the NUL character is not allowed"}},
      {std::string("like(email,\"*\0\")", 16),
       {"invalid value [*\\x00] for field [email]: the NUL character is not allowed"}},
  };
  for (const RejectCase& c : cases) {
    const std::string reason = ErrorOf(c.text, OrderFields());
    for (const std::string& expected : c.reason_contains) {
      EXPECT_NE(reason.find(expected), std::string::npos)
          << c.text << "\n  reason:   " << reason << "\n  expected: " << expected;
    }
  }
}

TEST(FilterParseTest, ReasonsQuoteWholeUtf8Characters) {
  try {
    Parse("eq(payment,paid)\xC3\xA9", OrderFields());
    FAIL() << "accepted";
  } catch (const FilterError& e) {
    EXPECT_NE(std::string(e.what()).find("found [\xC3\xA9]"), std::string::npos) << e.what();
  }
}

TEST(FilterParseTest, RejectsJobFilterValues) {
  const RejectCase cases[] = {
      {"eq(status,done)",
       {"invalid value [done] for field [status]; allowed values are pending, started, "
        "success, failed"}},
      {"eq(status,PENDING)", {"invalid value [PENDING]"}},
      {"eq(payment,paid)",
       {"unknown field [payment]; allowed fields are status, job_type, created_at, "
        "updated_at"}},
      {"like(job_type,order*)", {"operator [like] is not allowed on field [job_type]"}},
      {"gt(created_at,2023-02-29)", {"February 2023 has 28 days"}},
  };
  for (const RejectCase& c : cases) {
    const std::string reason = ErrorOf(c.text, JobFields());
    for (const std::string& expected : c.reason_contains) {
      EXPECT_NE(reason.find(expected), std::string::npos)
          << c.text << "\n  reason:   " << reason << "\n  expected: " << expected;
    }
  }
}

std::string Conditions(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += (i ? ":" : "") + std::string("gt(with_tax,") + std::to_string(i) + ")";
  return text;
}

TEST(FilterLimitsTest, AtMostTenConditions) {
  EXPECT_EQ(Parse(Conditions(10), OrderFields()).conditions.size(), 10u);
  EXPECT_EQ(ErrorOf(Conditions(11), OrderFields()), "too many conditions: 11 (at most 10)");
  EXPECT_EQ(ErrorOf(Conditions(25), OrderFields()), "too many conditions: 25 (at most 10)");
  // The count is reported even when a later condition is also bad.
  EXPECT_EQ(ErrorOf(Conditions(11) + ":eq(colour,red)", OrderFields()),
            "too many conditions: 12 (at most 10)");
}

// A single condition `eq(name,"xxx...")` padded to exactly `bytes` bytes.
std::string FilterOfBytes(std::size_t bytes) {
  const std::string head = "eq(name,\"";
  const std::string tail = "\")";
  return head + std::string(bytes - head.size() - tail.size(), 'x') + tail;
}

TEST(FilterLimitsTest, AtMost8KiBCountedInBytes) {
  const std::string at_limit = FilterOfBytes(kMaxFilterBytes);
  ASSERT_EQ(at_limit.size(), 8192u);
  const Filter f = Parse(at_limit, OrderFields());
  ASSERT_EQ(f.conditions.size(), 1u);
  EXPECT_EQ(std::get<std::string>(f.conditions[0].values[0]).size(), 8192u - 11u);

  EXPECT_EQ(ErrorOf(FilterOfBytes(kMaxFilterBytes + 1), OrderFields()),
            "filter is too long: 8193 bytes (at most 8192)");
  EXPECT_EQ(ErrorOf(std::string(9000, ' '), OrderFields()),
            "filter is too long: 9000 bytes (at most 8192)");

  // Multi-byte characters count by their UTF-8 bytes, not as characters:
  // 4090 "é" (2 bytes each) plus 11 bytes of syntax is 8191 bytes; one more is 8193.
  std::string accents;
  for (int i = 0; i < 4090; ++i) accents += "\xC3\xA9";
  EXPECT_NO_THROW(Parse("eq(name,\"" + accents + "\")", OrderFields()));
  accents += "\xC3\xA9";
  EXPECT_EQ(ErrorOf("eq(name,\"" + accents + "\")", OrderFields()),
            "filter is too long: 8193 bytes (at most 8192)");
}

TEST(FilterParseTest, ConditionCarriesFieldKind) {
  const Filter f = Parse(
      "eq(status,complete):gt(with_tax,1):eq(currency,USD):"
      "lt(created_at,0):like(name,x)",
      OrderFields());
  ASSERT_EQ(f.conditions.size(), 5u);
  EXPECT_EQ(f.conditions[0].kind, ValueKind::kEnum);
  EXPECT_EQ(f.conditions[1].kind, ValueKind::kAmount);
  EXPECT_EQ(f.conditions[2].kind, ValueKind::kCurrency);
  EXPECT_EQ(f.conditions[3].kind, ValueKind::kTime);
  EXPECT_EQ(f.conditions[4].kind, ValueKind::kText);
  EXPECT_FALSE(f.empty());
  EXPECT_TRUE(Parse("", OrderFields()).empty());
}

}  // namespace
}  // namespace jobsd::filter
