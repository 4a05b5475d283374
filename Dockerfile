# Chorus: the all-in-one app, or one side of the distributed mode (see docker-compose.yml). Build the jar first: ./mvnw -DskipTests package
FROM eclipse-temurin:17-jre
WORKDIR /opt/chorus
COPY app/target/chorus-app.jar chorus-app.jar
# LOADER_MAIN picks one side (io.chorus.command.CommandSideApplication, …); unset, the all-in-one app runs
EXPOSE 8080
# the projections' threads run at a lower priority than sends and pushes (README: "Projections yield to live traffic")
ENTRYPOINT ["java", "-XX:ThreadPriorityPolicy=1", "-jar", "/opt/chorus/chorus-app.jar"]
