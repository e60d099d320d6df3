// tspod's version, and the Podman API version it speaks.
export const VERSION = '0.1.0';
export const API_VERSION = '4.3.1';
/** `version`'s Built (seconds since the epoch; 0: not recorded). */
export const BUILT = 0;
