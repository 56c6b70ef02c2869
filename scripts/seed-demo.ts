// `npm run seed`: puts a small demo catalog (products, warehouses, stock, customers) into a
// running stack through the public API, so it goes through the validation any admin client does.
// Re-running it is harmless: every call is a PUT.
//
//   API_URL  base URL of the API (default http://localhost:$PORT/api/v1, PORT default 3000)
//   API_KEY  an admin key (default dev-admin-key, which `npm start` accepts when API_KEYS is unset)

const API_URL = process.env.API_URL ?? `http://localhost:${process.env.PORT ?? 3000}/api/v1`;
const API_KEY = process.env.API_KEY ?? 'dev-admin-key';

const PRODUCTS = [
  { id: 'sku-mug', name: 'Mug', price: 1299, currency: 'USD', active: true },
  { id: 'sku-tee', name: 'T-shirt', price: 2499, currency: 'USD', active: true },
  { id: 'sku-cap', name: 'Cap', price: 1999, currency: 'USD', active: true },
];

const WAREHOUSES = [
  { id: 'wh-east', name: 'East', priority: 1 },
  { id: 'wh-west', name: 'West', priority: 2 },
];

const STOCK = [
  { productId: 'sku-mug', warehouseId: 'wh-east', onHand: 100, lowStockThreshold: 10 },
  { productId: 'sku-mug', warehouseId: 'wh-west', onHand: 40, lowStockThreshold: 5 },
  { productId: 'sku-tee', warehouseId: 'wh-east', onHand: 50, lowStockThreshold: 5 },
  { productId: 'sku-cap', warehouseId: 'wh-west', onHand: 5, lowStockThreshold: 2 },
];

const CUSTOMERS = [
  { id: 'alice', email: 'alice@example.com', status: 'active' },
  { id: 'bob', email: 'bob@example.com', status: 'active' },
];

async function put(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${API_URL}${path}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`PUT ${path} → ${response.status}: ${await response.text()}`);
  console.log(`PUT ${path} → ${response.status}`);
}

async function main(): Promise<void> {
  for (const { id, ...product } of PRODUCTS) await put(`/products/${id}`, product);
  for (const { id, ...warehouse } of WAREHOUSES) await put(`/warehouses/${id}`, warehouse);
  for (const { productId, warehouseId, ...level } of STOCK) await put(`/inventory/${productId}/${warehouseId}`, level);
  for (const { id, ...customer } of CUSTOMERS) await put(`/customers/${id}`, customer);
  console.log(`\nDemo catalog ready. Try:
  curl -s -X POST ${API_URL}/orders -H 'X-API-Key: ${API_KEY}' -H 'Content-Type: application/json' \\
    -d '{"customerId":"alice","items":[{"productId":"sku-mug","warehouseId":"wh-east","quantity":2}],"shippingAddress":"1 Main St"}'`);
}

main().catch((err) => {
  console.error(`seed failed: ${(err as Error).message}`);
  process.exit(1);
});
