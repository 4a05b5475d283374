# The all-in-one Chorus app. Build the jar first: ./mvnw -DskipTests package
FROM eclipse-temurin:17-jre
WORKDIR /opt/chorus
COPY app/target/chorus-app.jar chorus-app.jar
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/chorus/chorus-app.jar"]
