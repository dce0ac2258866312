/** Time enters the application only through this port, so tests can control it. */
export interface Clock {
  now(): Date;
}
