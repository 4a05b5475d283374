package io.chorus.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.MergedTrackingToken;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.WrappedToken;
import org.junit.jupiter.api.Test;

class CommitOrderTokenTest {

    private final CommitOrderToken early = new CommitOrderToken(10, 500);
    private final CommitOrderToken sameTxLater = new CommitOrderToken(10, 501);
    private final CommitOrderToken laterTxLowerIndex = new CommitOrderToken(11, 3);

    @Test
    void ordersByTransactionThenIndex() {
        assertThat(early).isLessThan(sameTxLater);
        assertThat(sameTxLater).isLessThan(laterTxLowerIndex);
        assertThat(CommitOrderToken.TAIL).isLessThan(early);
    }

    @Test
    void coversWhatIsAtOrBeforeIt() {
        assertThat(laterTxLowerIndex.covers(early)).isTrue();
        assertThat(laterTxLowerIndex.covers(laterTxLowerIndex)).isTrue();
        assertThat(early.covers(laterTxLowerIndex)).isFalse();
        assertThat(early.covers(null)).isTrue();
    }

    @Test
    void boundsAreTheEarlierAndTheLater() {
        assertThat(early.lowerBound(laterTxLowerIndex)).isEqualTo(early);
        assertThat(laterTxLowerIndex.lowerBound(early)).isEqualTo(early);
        assertThat(early.upperBound(laterTxLowerIndex)).isEqualTo(laterTxLowerIndex);
    }

    @Test
    void worksInsideAxonsMergedAndReplayTokens() {
        MergedTrackingToken merged = new MergedTrackingToken(early, laterTxLowerIndex);
        assertThat(WrappedToken.unwrapLowerBound(merged)).isEqualTo(early);
        assertThat(merged.covers(early)).isTrue();
        assertThat(merged.covers(new CommitOrderToken(12, 0))).isFalse();

        TrackingToken replay = ReplayToken.createReplayToken(laterTxLowerIndex, CommitOrderToken.TAIL);
        assertThat(ReplayToken.isReplay(replay)).isTrue();
        TrackingToken stillReplaying = ((ReplayToken) replay).advancedTo(early);
        assertThat(ReplayToken.isReplay(stillReplaying)).isTrue();
        TrackingToken pastTheReset = ((ReplayToken) stillReplaying).advancedTo(new CommitOrderToken(12, 0));
        assertThat(ReplayToken.isReplay(pastTheReset)).isFalse();
    }

    @Test
    void refusesTokensOfAnotherStream() {
        assertThatThrownBy(() -> early.covers(new GlobalSequenceTrackingToken(3)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void survivesJacksonAsStoredInTheTokenStore() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String json = mapper.writeValueAsString(laterTxLowerIndex);
        assertThat(json).isEqualTo("{\"txId\":11,\"globalIndex\":3}");
        assertThat(mapper.readValue(json, CommitOrderToken.class)).isEqualTo(laterTxLowerIndex);
    }
}
