/** Messages of a group: sending (idempotent on the client message id), editing and deleting. */
package io.chorus.api.message;
