/** Settings of the user use cases, bound by the composition root. */
export interface UserSettings {
  /**
   * ISO 3166-1 alpha-2 country whose national phone format is accepted without a country code
   * (e.g. 'NO': "412 34 567" → +4741234567). Undefined: only international formats.
   */
  readonly defaultCountry?: string;
}

export const USER_SETTINGS = Symbol.for('tessera.user.Settings');
