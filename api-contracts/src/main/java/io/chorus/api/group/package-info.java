/** Groups and their membership: creation, joining, leaving, adding, removing, banning and roles. */
package io.chorus.api.group;
