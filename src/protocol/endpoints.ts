/**
 * Where Target's HTTP APIs live. Shared by the remote clients that call them and by the service
 * that serves (or proxies) them, so neither has to import the other.
 */

/** Path of the Delivery API (`POST`), on the edge host or on this project's service. */
export const DELIVERY_PATH = "/rest/v1/delivery";

/** Edge hosts are `mboxedge<cluster>.tt.omtrdc.net`; the fallback is `<client>.tt.omtrdc.net`. */
export const TARGET_HOST_SUFFIX = "tt.omtrdc.net";
export const EDGE_CLUSTER_PREFIX = "mboxedge";

/** Target's IP → geo lookup, answering with geo values in `x-geo-*` response headers. */
export const GEO_ENDPOINT = "https://assets.adobetarget.com/v1/geo";
