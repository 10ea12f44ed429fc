#include "storage/filter_sql.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/filter.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kSec = kNanosPerSecond;
constexpr Nanos kSep1 = 1'535'760'000 * kSec;  // 2018-09-01T00:00:00Z

// A real SQLite file with hand-made tables named as in the shared schema,
// so the compiled SQL runs exactly as it will against the real store.
class FilterSqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open((dir_ / "filters.db").c_str(), &db_), SQLITE_OK);
    Exec(R"sql(
      CREATE TABLE orders (
        id TEXT PRIMARY KEY, order_number TEXT NOT NULL DEFAULT '',
        external_ref TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',
        payment TEXT NOT NULL DEFAULT '', shipping TEXT NOT NULL DEFAULT '',
        customer_id TEXT NOT NULL DEFAULT '', customer_name TEXT NOT NULL DEFAULT '',
        customer_email TEXT NOT NULL DEFAULT '', account_id TEXT NOT NULL DEFAULT '',
        account_member_id TEXT NOT NULL DEFAULT '', contact_name TEXT NOT NULL DEFAULT '',
        contact_email TEXT NOT NULL DEFAULT '', currency TEXT NOT NULL DEFAULT '',
        with_tax INTEGER, without_tax INTEGER,
        shipping_first_name TEXT NOT NULL DEFAULT '', shipping_last_name TEXT NOT NULL DEFAULT '',
        shipping_postcode TEXT NOT NULL DEFAULT '',
        billing_first_name TEXT NOT NULL DEFAULT '', billing_last_name TEXT NOT NULL DEFAULT '',
        billing_postcode TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE order_items (
        order_id TEXT REFERENCES orders(id) ON DELETE CASCADE, id TEXT, product_id TEXT,
        sku TEXT, name TEXT, quantity INTEGER, unit_price_amount INTEGER,
        PRIMARY KEY (order_id, id));
      CREATE TABLE jobs (id TEXT PRIMARY KEY, job_type TEXT NOT NULL, status TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);

      INSERT INTO orders (id, order_number, external_ref, status, payment, shipping,
        customer_id, customer_name, customer_email, account_id, account_member_id,
        contact_name, contact_email, currency, with_tax, without_tax,
        shipping_first_name, shipping_last_name, shipping_postcode,
        billing_first_name, billing_last_name, billing_postcode, created_at, updated_at)
      VALUES
        ('o1', '1001', '50%_off', 'complete', 'paid', 'fulfilled',
         'c1', 'Ron Swanson', 'ron@swanson.com', 'a1', 'm1',
         'April Ludgate', 'april@pawnee.gov', 'USD', 1000, 900,
         'Ron', 'Swanson', 'NW1 6XE', 'Ron', 'Swanson', '90210',
         1535760000000000000, 1535763600000000000),
        ('o2', '1002', '50x off', 'incomplete', 'unpaid', 'unfulfilled',
         'c2', 'Leslie Knope', 'LESLIE@pawnee.gov', 'a2', 'm2',
         '', '', 'GBP', 2500, NULL,
         'Leslie', 'Knope', 'E1 6AN', 'Ann', 'Perkins', '10001',
         1535846399999999999, 1535846399999999999),
        ('o3', '10_2', 'a\b', 'processing', 'paid', 'unfulfilled',
         '', '', '', '', '',
         '', '', 'EUR', -100, -90,
         '', '', '', '', '', '',
         1535846400000000000, 1535846400000000000),
        ('o4', '2001', '*star*', 'cancelled', 'refunded', 'fulfilled',
         'c4', 'ron swanson', 'ron@swanson.com', 'a1', 'm4',
         'april ludgate', 'APRIL@pawnee.gov', 'USD', NULL, NULL,
         '', '', 'nw1 7aa', '', '', '',
         1535759999000000000, 1535760001000000000);
      INSERT INTO order_items (order_id, id, product_id, sku, name, quantity) VALUES
        ('o1', 'i1', 'p1', 'SKU-A', 'Bacon', 1), ('o1', 'i2', 'p2', 'SKU-B', 'Eggs', 2),
        ('o2', 'i1', 'p2', 'SKU-B', 'Eggs', 1), ('o4', 'i1', 'p3', 'sku-a', 'Waffles', 3);

      INSERT INTO jobs VALUES
        ('j1', 'order_export', 'pending', 1535760000000000000, 1535760000000000000),
        ('j2', 'order_export', 'success', 1535846399000000000, 1535846400500000000),
        ('j3', 'other_type', 'failed', 1535846400000000000, 1535846401000000000);
    )sql");
  }

  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    ASSERT_EQ(rc, SQLITE_OK) << (error ? error : "") << "\n" << sql;
    sqlite3_free(error);
  }

  // The ids `table` rows selected by `where`, in id order, or the SQLite error.
  std::string Select(const std::string& table, const SqlWhere& where) {
    std::string sql = "SELECT id FROM " + table;
    if (!where.sql.empty()) sql += " WHERE " + where.sql;
    sql += " ORDER BY id";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return std::string("prepare failed: ") + sqlite3_errmsg(db_) + " in " + sql;
    }
    if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(where.params.size())) {
      sqlite3_finalize(stmt);
      return "parameter count mismatch in " + sql;
    }
    for (std::size_t i = 0; i < where.params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const auto* n = std::get_if<std::int64_t>(&where.params[i])) {
        sqlite3_bind_int64(stmt, index, *n);
      } else {
        const std::string& s = std::get<std::string>(where.params[i]);
        sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
    }
    std::string ids;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (!ids.empty()) ids += ",";
      ids += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return std::string("step failed: ") + sqlite3_errmsg(db_);
    return ids;
  }

  std::string SelectOrders(const std::string& filter_text) {
    return Select("orders", CompileOrderFilter(filter::Parse(filter_text, filter::OrderFields())));
  }

  std::string SelectJobs(const std::string& filter_text) {
    return Select("jobs", CompileJobFilter(filter::Parse(filter_text, filter::JobFields())));
  }

  testing::TempDir dir_;
  sqlite3* db_ = nullptr;
};

struct SelectCase {
  const char* filter;
  const char* ids;  // comma-separated, in id order; "" selects nothing
};

TEST_F(FilterSqlTest, OrderFiltersSelectTheRightRows) {
  const SelectCase cases[] = {
      {"", "o1,o2,o3,o4"},
      // Enums, exact.
      {"eq(status,complete)", "o1"},
      {"in(status,complete,processing)", "o1,o3"},
      {"eq(payment,paid)", "o1,o3"},
      {"in(payment,unpaid,refunded)", "o2,o4"},
      {"eq(shipping,fulfilled)", "o1,o4"},
      {"in(shipping,unfulfilled)", "o2,o3"},
      // eq is exact and case-sensitive; like ignores ASCII case.
      {"eq(name,Ron Swanson)", "o1"},
      {"eq(name,ron swanson)", "o4"},
      {"eq(name,RON SWANSON)", ""},
      {"like(name,RON SWANSON)", "o1,o4"},
      {"like(name,Ron)", ""},  // no '*': the whole value must match
      {"like(name,ron*)", "o1,o4"},
      {"like(name,*SWANSON)", "o1,o4"},
      {"like(name,*knop*)", "o2"},
      {"like(name,*)", "o1,o2,o3,o4"},  // a lone '*' matches everything, "" too
      {"in(name,Leslie Knope,ron swanson)", "o2,o4"},
      {"eq(name,\"\")", "o3"},  // absent text compares as ""
      {"eq(email,leslie@pawnee.gov)", ""},
      {"like(email,leslie@pawnee.gov)", "o2"},
      {"like(email,*@SWANSON.COM)", "o1,o4"},
      {"in(email,ron@swanson.com,\"\")", "o1,o3,o4"},
      // % and _ are literal characters; '*' only wildcards at the ends.
      {"like(external_ref,50%_off)", "o1"},
      {"like(external_ref,50%*)", "o1"},
      {"like(external_ref,50_*)", ""},
      {"like(external_ref,*_*)", "o1"},
      {"like(external_ref,\"a\\\\b\")", "o3"},
      {"like(external_ref,A\\\\*)", "<reject>"},
      {"like(external_ref,\"A\\\\*\")", "o3"},
      {"like(external_ref,**star**)", "o4"},  // the inner stars are literal
      {"like(external_ref,s*r)", ""},
      {"like(external_ref,*s*r*)", ""},
      {"eq(order_number,10_2)", "o3"},
      {"like(order_number,10_2)", "o3"},
      {"like(order_number,100*)", "o1,o2"},
      {"in(order_number,1001,2001,9999)", "o1,o4"},
      {"in(external_ref,50%_off,*star*)", "o1,o4"},
      // Ids.
      {"eq(customer_id,c1)", "o1"},
      {"like(customer_id,C*)", "o1,o2,o4"},
      {"in(customer_id,c2,c4)", "o2,o4"},
      {"eq(account_id,a1)", "o1,o4"},
      {"like(account_id,*2)", "o2"},
      {"in(account_id,a2,\"\")", "o2,o3"},
      {"eq(account_member_id,m4)", "o4"},
      {"like(account_member_id,M*)", "o1,o2,o4"},
      {"in(account_member_id,m1,m2)", "o1,o2"},
      // Contact.
      {"eq(contact.name,April Ludgate)", "o1"},
      {"like(contact.name,april ludgate)", "o1,o4"},
      {"eq(contact.email,april@pawnee.gov)", "o1"},
      {"like(contact.email,april@*)", "o1,o4"},
      // Address names are "first last" with one space.
      {"eq(shipping_name,Ron Swanson)", "o1"},
      {"like(shipping_name,leslie knope)", "o2"},
      {"like(shipping_name,* knope)", "o2"},
      {"eq(billing_name,Ann Perkins)", "o2"},
      {"like(billing_name,*swanson)", "o1"},
      {"eq(billing_name,\" \")", "o3,o4"},  // both parts absent
      // Postcodes.
      {"eq(shipping_postcode,NW1 6XE)", "o1"},
      {"like(shipping_postcode,NW1*)", "o1,o4"},
      {"in(shipping_postcode,E1 6AN,nw1 7aa)", "o2,o4"},
      {"eq(billing_postcode,90210)", "o1"},
      {"like(billing_postcode,*0*)", "o1,o2"},
      {"in(billing_postcode,10001,90210)", "o1,o2"},
      // Amounts; an absent amount matches no comparison.
      {"eq(with_tax,1000)", "o1"},
      {"gt(with_tax,0)", "o1,o2"},
      {"ge(with_tax,1000)", "o1,o2"},
      {"lt(with_tax,1000)", "o3"},
      {"le(with_tax,-100)", "o3"},
      {"eq(without_tax,900)", "o1"},
      {"gt(without_tax,-100)", "o1,o3"},
      {"ge(without_tax,-90)", "o1,o3"},
      {"lt(without_tax,0)", "o3"},
      {"le(without_tax,900)", "o1,o3"},
      // Currency.
      {"eq(currency,USD)", "o1,o4"},
      {"in(currency,GBP,EUR)", "o2,o3"},
      // Items: the order has an item with it (SKUs compare exactly).
      {"eq(product_sku,SKU-B)", "o1,o2"},
      {"eq(product_sku,SKU-A)", "o1"},
      {"in(product_sku,SKU-A,sku-a)", "o1,o4"},
      {"eq(product_sku,SKU-C)", ""},
      {"eq(product_id,p2)", "o1,o2"},
      {"in(product_id,p3,nope)", "o4"},
      // Times: a bare date under eq is the whole UTC day, up to its last ns.
      {"eq(created_at,2018-09-01)", "o1,o2"},
      {"eq(created_at,2018-08-31)", "o4"},
      {"eq(created_at,2018-09-02)", "o3"},
      {"eq(created_at,2018-09-01T00:00:00Z)", "o1"},
      {"eq(created_at,2018-09-01T02:00:00+02:00)", "o1"},
      {"eq(created_at,2018-09-01T23:59:59.999999999Z)", "o2"},
      {"eq(created_at,1535760000000)", "o1"},  // epoch millis: that instant
      {"gt(created_at,2018-09-01)", "o2,o3"},
      {"ge(created_at,2018-09-01)", "o1,o2,o3"},
      {"lt(created_at,2018-09-01)", "o4"},
      {"le(created_at,1535760000000)", "o1,o4"},
      {"gt(created_at,2018-09-01T23:59:59.999999998Z)", "o2,o3"},
      {"eq(updated_at,2018-09-01)", "o1,o2,o4"},
      {"gt(updated_at,1535760000000)", "o1,o2,o3,o4"},
      {"ge(updated_at,1535763600000)", "o1,o2,o3"},
      {"lt(updated_at,2018-09-02)", "o1,o2,o4"},
      {"le(updated_at,2018-09-01T01:00:00Z)", "o1,o4"},
      // Conditions are ANDed.
      {"eq(payment,paid):gt(with_tax,0)", "o1"},
      {"eq(currency,USD):like(name,ron*):eq(product_sku,sku-a)", "o4"},
      {"ge(created_at,2018-09-01):lt(created_at,2018-09-02):in(status,complete,incomplete)",
       "o1,o2"},
  };
  for (const SelectCase& c : cases) {
    if (std::string(c.ids) == "<reject>") {
      EXPECT_THROW(filter::Parse(c.filter, filter::OrderFields()), filter::FilterError) << c.filter;
      continue;
    }
    try {
      EXPECT_EQ(SelectOrders(c.filter), c.ids) << c.filter;
    } catch (const filter::FilterError& e) {
      ADD_FAILURE() << c.filter << " rejected: " << e.what();
    }
  }
}

TEST_F(FilterSqlTest, InjectionAttemptsAreJustValues) {
  const char* const attacks[] = {
      "eq(email,\"x' OR 1=1 --\")",
      "eq(email,\"' OR ''='\")",
      "like(email,\"%\")",
      "like(name,\"%' OR 1=1 --*\")",
      "in(email,\"') OR 1=1 --\",'\" OR \"\"=\"')",
      "eq(name,\"Robert'); DROP TABLE orders; --\")",
      "eq(product_sku,\"x') OR 1=1 OR ('\")",
      "eq(customer_id,'1; DELETE FROM orders')",
      "eq(order_number,\"1001' OR '1'='1\")",
  };
  for (const char* attack : attacks) {
    const SqlWhere where = CompileOrderFilter(filter::Parse(attack, filter::OrderFields()));
    EXPECT_EQ(where.sql.find('\''), where.sql.find("'\\'"))  // only the ESCAPE literal
        << attack << " -> " << where.sql;
    EXPECT_EQ(where.sql.find("OR"), std::string::npos) << where.sql;
    EXPECT_EQ(Select("orders", where), "") << attack;
  }
  EXPECT_EQ(SelectOrders(""), "o1,o2,o3,o4");  // nothing was dropped or deleted
}

TEST_F(FilterSqlTest, JobFiltersSelectTheRightRows) {
  const SelectCase cases[] = {
      {"", "j1,j2,j3"},
      {"eq(status,pending)", "j1"},
      {"in(status,success,failed)", "j2,j3"},
      {"eq(status,started)", ""},
      {"eq(job_type,order_export)", "j1,j2"},
      {"eq(job_type,ORDER_EXPORT)", ""},
      {"in(job_type,other_type,nope)", "j3"},
      {"eq(created_at,2018-09-01)", "j1,j2"},
      {"eq(created_at,1535760000000)", "j1"},
      {"gt(created_at,2018-09-01)", "j2,j3"},
      {"ge(created_at,2018-09-02T00:00:00Z)", "j3"},
      {"lt(created_at,2018-09-02)", "j1,j2"},
      {"le(created_at,2018-09-01T23:59:59Z)", "j1,j2"},
      {"eq(updated_at,2018-09-02)", "j2,j3"},
      {"gt(updated_at,2018-09-02T00:00:00.5Z)", "j3"},
      {"in(status,pending,success):ge(updated_at,2018-09-02)", "j2"},
  };
  for (const SelectCase& c : cases) {
    try {
      EXPECT_EQ(SelectJobs(c.filter), c.ids) << c.filter;
    } catch (const filter::FilterError& e) {
      ADD_FAILURE() << c.filter << " rejected: " << e.what();
    }
  }
}

TEST(FilterSqlShapeTest, CompilesToParenthesisedConditionsWithBoundParams) {
  const auto compile = [](const char* text) {
    return CompileOrderFilter(filter::Parse(text, filter::OrderFields()));
  };
  EXPECT_EQ(compile("").sql, "");
  EXPECT_TRUE(compile("").params.empty());

  const SqlWhere day = compile("eq(created_at,2018-09-01):in(status,complete,cancelled)");
  EXPECT_EQ(day.sql, "(created_at >= ? AND created_at < ?) AND (status IN (?,?))");
  EXPECT_EQ(day.params, (std::vector<SqlParam>{kSep1, kSep1 + kNanosPerDay, std::string("complete"),
                                               std::string("cancelled")}));
}

// For COPY, which takes no parameters: each value is read from its own
// setting of the transaction, once (a scalar subquery), numbers as bigint;
// an `in` list is one setting, an array literal whose elements are quoted
// and escaped.
TEST(FilterSqlShapeTest, TheSettingsDialectReadsEachValueFromItsSetting) {
  const SqlWhere where = CompileOrderFilter(
      filter::Parse("eq(created_at,2018-09-01):in(name,\"a\\\\b\\\",{NULL}\",c d)",
                    filter::OrderFields()),
      SqlDialect::PostgresSettings());
  EXPECT_EQ(where.sql,
            "(created_at >= (SELECT current_setting('jobsd.filter_1')::bigint) AND created_at < "
            "(SELECT current_setting('jobsd.filter_2')::bigint)) AND (customer_name IN (SELECT "
            "unnest(CAST((SELECT current_setting('jobsd.filter_3')) AS text[]))))");
  EXPECT_EQ(where.params, (std::vector<SqlParam>{kSep1, kSep1 + kNanosPerDay,
                                                 std::string(R"({"a\\b\",{NULL}","c d"})")}));
  EXPECT_EQ(FilterSettingName(3), "jobsd.filter_3");
}

TEST(FilterSqlShapeTest, LikePatternsEscapeSqlWildcards) {
  struct Case {
    const char* filter;
    const char* pattern;
  };
  const Case cases[] = {
      {"like(name,abc)", "abc"},
      {"like(name,*)", "%"},
      {"like(name,**)", "%%"},
      {"like(name,*abc)", "%abc"},
      {"like(name,abc*)", "abc%"},
      {"like(name,*a*c*)", "%a*c%"},
      {"like(name,50%_off)", "50\\%\\_off"},
      {"like(name,\"a\\\\b*\")", "a\\\\b%"},
  };
  for (const Case& c : cases) {
    const SqlWhere where = CompileOrderFilter(filter::Parse(c.filter, filter::OrderFields()));
    EXPECT_EQ(where.sql, "(customer_name LIKE ? ESCAPE '\\')") << c.filter;
    ASSERT_EQ(where.params.size(), 1u) << c.filter;
    EXPECT_EQ(std::get<std::string>(where.params[0]), c.pattern) << c.filter;
  }
}

TEST(FilterSqlShapeTest, ItemFieldsUseExists) {
  const SqlWhere where = CompileOrderFilter(
      filter::Parse("in(product_sku,A,B):eq(product_id,P)", filter::OrderFields()));
  EXPECT_EQ(where.sql,
            "(EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND i.sku IN "
            "(?,?))) AND (EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = orders.id AND "
            "i.product_id = ?))");
  EXPECT_EQ(where.params,
            (std::vector<SqlParam>{std::string("A"), std::string("B"), std::string("P")}));
}

}  // namespace
}  // namespace jobsd::storage
