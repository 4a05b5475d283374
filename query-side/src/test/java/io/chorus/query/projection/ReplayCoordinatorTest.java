package io.chorus.query.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.chorus.eventstore.CommitOrderToken;
import java.util.Arrays;
import java.util.List;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackingToken;
import org.junit.jupiter.api.Test;

/**
 * The replay's switch-over rule on a cluster, where transactions commit in another order than their global
 * indexes were handed out: the building slot takes over only once it has every event the live slot has.
 */
class ReplayCoordinatorTest {

    @Test
    void aBuildingSlotPastTheLiveOnesIndexButBehindInCommitOrderDoesNotSwitch() {
        // the live slot has read transaction 90 (index 60); the building one only up to transaction 80, whose event
        // got a higher index (70) than 90's, from a node that took its index earlier and committed later
        List<TrackingToken> building = List.of(new CommitOrderToken(80, 70));
        List<TrackingToken> live = List.of(new CommitOrderToken(90, 60));

        assertThat(building.get(0).position().getAsLong())
                .isGreaterThan(live.get(0).position().getAsLong());
        assertThat(ReplayCoordinator.hasEverythingOf(building, live)).isFalse();
    }

    @Test
    void aBuildingSlotSwitchesOnceItsLeastAdvancedSegmentCoversTheLiveOnesMostAdvanced() {
        List<TrackingToken> live = List.of(new CommitOrderToken(90, 60), new CommitOrderToken(88, 99));

        assertThat(ReplayCoordinator.hasEverythingOf(List.of(new CommitOrderToken(90, 60)), live))
                .isTrue();
        // behind by index, ahead in commit order: everything is there
        assertThat(ReplayCoordinator.hasEverythingOf(
                        List.of(new CommitOrderToken(95, 10), new CommitOrderToken(100, 5)), live))
                .isTrue();
        // one segment short of transaction 90
        assertThat(ReplayCoordinator.hasEverythingOf(
                        List.of(new CommitOrderToken(95, 10), new CommitOrderToken(89, 200)), live))
                .isFalse();
    }

    @Test
    void segmentsWithoutATokenOrNoSegmentsNeverSwitch() {
        List<TrackingToken> live = List.of(new CommitOrderToken(90, 60));

        assertThat(ReplayCoordinator.hasEverythingOf(List.of(), live)).isFalse();
        assertThat(ReplayCoordinator.hasEverythingOf(Arrays.asList(new CommitOrderToken(95, 1), null), live))
                .isFalse();
        assertThat(ReplayCoordinator.hasEverythingOf(List.of(new CommitOrderToken(95, 1)), List.of()))
                .isFalse();
    }

    @Test
    void onAxonServerTheGlobalSequenceIsTheOrder() {
        assertThat(ReplayCoordinator.hasEverythingOf(
                        List.of(new GlobalSequenceTrackingToken(10)), List.of(new GlobalSequenceTrackingToken(9))))
                .isTrue();
        assertThat(ReplayCoordinator.hasEverythingOf(
                        List.of(new GlobalSequenceTrackingToken(8)), List.of(new GlobalSequenceTrackingToken(9))))
                .isFalse();
    }
}
