import { createMemoryAdminStore } from "../../src/admin/memory-store";
import { adminStoreContract } from "./store-contract";

adminStoreContract("memory", async () => createMemoryAdminStore());
