/** The stored objects of the Admin API: the authored model the artifact compiler reads. */
export * from "../publish/compiler/model";
