// The order_export filter (filter::Parse over OrderFields()) evaluated on an
// Order in memory, with the meaning storage/filter_sql.cc gives it in SQL
// (filter_match.h): an item field (product_id, product_sku) matches when
// any of the order's items does (of items that share an id, the last one:
// the SQL stores keep a row per item id); shipping_name and billing_name
// are the first and last names joined by a space.
#pragma once

#include "engine/filter.h"
#include "engine/orders/order.h"

namespace jobsd::storage {

bool MatchesOrderFilter(const filter::Filter& filter, const Order& order);

}  // namespace jobsd::storage
