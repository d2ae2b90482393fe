/**
 * The one place that loads `@peculiar/x509`. Its algorithm registry is built on tsyringe, which throws at import
 * time unless a Reflect metadata polyfill is already loaded, so the polyfill is imported first, here, and every
 * other module imports the library through this file.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';
