/** The `oms` help text. Kept apart from the commands so that printing it loads nothing else. */
export const CLIENT_USAGE = `Client commands (against a running service; --url URL, --key KEY or OMS_URL, OMS_API_KEY):
  import FILE.csv [--wait] [--json]          upload a CSV; --wait shows progress until it is done
  orders list [--status S] [--hub H] [--reference R] [--limit N] [--cursor C] [--json]
  orders get ID-OR-REFERENCE [--json]         the order with its deliveries
  orders ship ID-OR-REFERENCE [--delivery D] [--items SKU=Q,…] [--tracking T] [--json]
                                             ship a delivery (or every pending one), whole or --items only
  orders return ID-OR-REFERENCE --items SKU=Q[:restock|:damaged],… [--reason TEXT] [--json]
  inventory get --hub H [--skus A,B,…] [--json]
  inventory set --hub H --sku S (--on-hand N | --delta N) [--expected N] [--reason TEXT] [--json]
  holds list [--status active|converted|released|expired] [--limit N] [--cursor C] [--json]
  holds create --items SKU=Q[@HUB],… [--reference R] [--expires-in SECONDS] [--json]
                                             hold stock for a cart: every line or none
  holds get|release HOLD-ID [--json]
  holds items HOLD-ID --items SKU=Q[@HUB],… [--json]   replace the lines (only the difference moves)
  holds extend HOLD-ID --expires-in SECONDS [--json]
`;

export const USAGE = `Usage: oms <command>

Service commands:
  start       run the service: the roles in OMS_ROLES (default all), or
              --roles api,ingest,finalizer,webhooks,relay (any subset)
  migrate     apply database migrations and exit
  seed-demo   create a demo tenant with hubs, SKUs and stock, and print its API key

${CLIENT_USAGE}
Configuration comes from environment variables; see README.md.
`;
