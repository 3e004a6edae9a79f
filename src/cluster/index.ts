/** Coordination of several `sluice serve` nodes on the shared store: leases with fencing epochs, the node registry. */
export { localDeadline, type LeaseBackend, type LeaseGrant, type LeaseState } from './lease.js';
export { StoreLeaseBackend } from './store-lease-backend.js';
export { LeaseRenewer, type LeaseLoss, type LeaseRenewerOptions } from './lease-renewer.js';
export { NodeRegistry, thisNode, type NodeInfo, type NodeState } from './node-registry.js';
export { ServerIdSlot, SERVER_ID_SLOTS, clusterId, clusterServerId, isServerIdLease, serverIdLeaseName } from './server-id-slot.js';
