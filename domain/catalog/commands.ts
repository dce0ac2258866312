import type { Money } from '../shared/money.js';
import type { Contact } from './values.js';

export interface RegisterProvider {
  readonly type: 'RegisterProvider';
  readonly providerId: string;
  readonly name: string;
  readonly contact?: Contact;
}

export interface RenameProvider {
  readonly type: 'RenameProvider';
  readonly name: string;
}

export type ProviderCommand = RegisterProvider | RenameProvider;

interface AddProductBase {
  readonly type: 'AddProduct';
  readonly productId: string;
  readonly providerId: string;
  readonly sku: string;
  readonly name: string;
  readonly price: Money;
  readonly vatRate: number;
}

/** A one-time product: each purchase grants a right valid for `timeSpec` (or forever: 'perpetual'). */
export interface AddOneTimeProduct extends AddProductBase {
  readonly kind: 'one_time';
  readonly timeSpec: string;
}

/** A subscription plan: charged every `period`, optionally after a free `trial`. */
export interface AddSubscriptionProduct extends AddProductBase {
  readonly kind: 'subscription';
  readonly period: string;
  readonly trial?: string;
}

export type AddProduct = AddOneTimeProduct | AddSubscriptionProduct;

/**
 * Sets a new price and/or VAT rate; what is omitted is kept (at least one must be given). The
 * currency of a product never changes.
 */
export interface ChangeProductPrice {
  readonly type: 'ChangeProductPrice';
  readonly price?: Money;
  readonly vatRate?: number;
}

export interface RetireProduct {
  readonly type: 'RetireProduct';
  readonly reason?: string;
}

export type ProductCommand = AddProduct | ChangeProductPrice | RetireProduct;
